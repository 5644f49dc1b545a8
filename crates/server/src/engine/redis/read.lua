-- Records how far a user has read a room, only ever forward, and tells the other nodes.
-- KEYS[1] the room's read positions, KEYS[2] the room's seq counter.
-- ARGV[1] the uid, ARGV[2] the seq read up to, ARGV[3] the room's channel, ARGV[4] the
-- node recording it.
-- Returns the position kept now.
-- Never past the newest message: a position beyond it would hide the next ones.
local newest = tonumber(redis.call('GET', KEYS[2]) or '0')
local seq = math.min(tonumber(ARGV[2]), newest)
local kept = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if seq > kept then
  kept = seq
  redis.call('HSET', KEYS[1], ARGV[1], kept)
end
redis.call('PUBLISH', ARGV[3], 'r' .. ARGV[4] .. '\n' .. kept .. '\n' .. ARGV[1])
return kept
