-- Reads a run of a room's messages with what was done to them since, in one step.
-- KEYS[1] the room's stream, KEYS[2..5] the room's texts, edit times, delete times and
-- reactions (by seq).
-- ARGV[1] XRANGE or XREVRANGE, ARGV[2] and ARGV[3] its bounds, ARGV[4] how many.
-- Returns, per message in the order read: {entry id, stored message, text, edited,
-- deleted, reactions}, each of the last four nil when there is none.
local found = {}
for _, entry in ipairs(redis.call(ARGV[1], KEYS[1], ARGV[2], ARGV[3], 'COUNT', ARGV[4])) do
  local seq = string.match(entry[1], '^%d+')
  found[#found + 1] = {
    entry[1],
    entry[2][2],
    redis.call('HGET', KEYS[2], seq),
    redis.call('HGET', KEYS[3], seq),
    redis.call('HGET', KEYS[4], seq),
    redis.call('HGET', KEYS[5], seq),
  }
end
return found
