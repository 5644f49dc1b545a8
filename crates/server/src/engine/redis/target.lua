-- The start of every action script: finds the message the action is about and how to
-- relay the action.
-- KEYS[1] the room's id index, KEYS[2] the room's stream, KEYS[3..6] the room's texts,
-- edit times, delete times and reactions (by seq).
-- ARGV[1] the message id, ARGV[2] the uid of the user acting, ARGV[3] the room's channel,
-- ARGV[4] the action as every member gets it (a frame's JSON); the rest is the action's.
-- Sets `seq` (nil when the room keeps no such message), `author` (the uid it was
-- written by, if any) and `deleted`.
local seq = redis.call('HGET', KEYS[1], ARGV[1])
local author = nil
local deleted = false
if seq then
  local entry = redis.call('XRANGE', KEYS[2], seq .. '-0', seq .. '-0')[1]
  if entry then
    author = cjson.decode(entry[2][2]).uid
    deleted = redis.call('HEXISTS', KEYS[5], seq) == 1
  else
    seq = nil
  end
end

-- Publishes the action after the room's messages and actions so far: every node relays
-- it in that order.
local function relay()
  redis.call('PUBLISH', ARGV[3], 'a\n' .. ARGV[4])
end
