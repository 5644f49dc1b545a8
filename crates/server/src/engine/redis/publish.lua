-- Stores one message of a room and publishes it, in one atomic step.
-- KEYS[1] the epoch, KEYS[2] the room's seq counter, KEYS[3] the room's stream,
-- KEYS[4] the key recording the message id for retries, KEYS[5] the room's id index,
-- KEYS[6..9] the room's texts, edit times, delete times and reactions (by seq),
-- KEYS[10] the room's read positions.
-- ARGV[1] an epoch to make when none exists (Redis lost its data), ARGV[2] the message
-- as the stream keeps it (JSON, without seq, its text empty), ARGV[3] how many messages
-- the room keeps (0: all), ARGV[4] how long the id is remembered (seconds), ARGV[5] the
-- room's channel, ARGV[6] the whole message (JSON, without seq), ARGV[7] its text,
-- ARGV[8] its id, ARGV[9] what the keys of each message's reactors start with.
-- Returns {epoch, seq, 1 when stored now or 0 when the id was stored before}.
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
  -- A counter without an epoch numbers nothing the clients know: start over.
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10])
end
local seen = redis.call('GET', KEYS[4])
if seen then
  return {epoch, tonumber(seen), 0}
end
local seq = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[3], seq .. '-0', 'm', ARGV[2])
redis.call('HSET', KEYS[5], ARGV[8], seq)
redis.call('HSET', KEYS[6], seq, ARGV[7])
-- Retention: the oldest messages go with everything kept about them.
local retain = tonumber(ARGV[3])
if retain > 0 then
  local excess = redis.call('XLEN', KEYS[3]) - retain
  if excess > 0 then
    for _, entry in ipairs(redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', excess)) do
      local old = string.match(entry[1], '^%d+')
      local id = cjson.decode(entry[2][2]).id
      if redis.call('HGET', KEYS[5], id) == old then
        redis.call('HDEL', KEYS[5], id)
      end
      for key = 6, 9 do
        redis.call('HDEL', KEYS[key], old)
      end
      redis.call('DEL', ARGV[9] .. old)
    end
    redis.call('XTRIM', KEYS[3], 'MAXLEN', retain)
  end
end
redis.call('SET', KEYS[4], seq, 'EX', ARGV[4])
redis.call('PUBLISH', ARGV[5], 'm' .. seq .. '\n' .. ARGV[6])
return {epoch, seq, 1}
