-- Stores one message of a room and publishes it, in one atomic step.
-- KEYS[1] the epoch, KEYS[2] the room's seq counter, KEYS[3] the room's stream,
-- KEYS[4] the key recording the message id.
-- ARGV[1] an epoch to make when none exists (Redis lost its data), ARGV[2] the message
-- (JSON, without seq), ARGV[3] the stream's length bound (0: unbounded), ARGV[4] how long
-- the id is remembered (seconds), ARGV[5] the room's channel.
-- Returns {epoch, seq, 1 when stored now or 0 when the id was stored before}.
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
  -- A counter without an epoch numbers nothing the clients know: start over.
  redis.call('DEL', KEYS[2], KEYS[3])
end
local seen = redis.call('GET', KEYS[4])
if seen then
  return {epoch, tonumber(seen), 0}
end
local seq = redis.call('INCR', KEYS[2])
local id = seq .. '-0'
if tonumber(ARGV[3]) > 0 then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], id, 'm', ARGV[2])
else
  redis.call('XADD', KEYS[3], id, 'm', ARGV[2])
end
redis.call('SET', KEYS[4], seq, 'EX', ARGV[4])
redis.call('PUBLISH', ARGV[5], 'm' .. seq .. '\n' .. ARGV[2])
return {epoch, seq, 1}
