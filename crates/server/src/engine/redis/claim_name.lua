-- Claims for a user, on a node, the first free name of a list, in a room shared by all nodes.
-- A name is free when no node shows it in the room's presence set any more (its entries left
-- or expired with their node's lease), or when the user claiming it holds it already.
-- KEYS[1]: the room's names hash (name -> uid); KEYS[2]: the room's presence set.
-- ARGV[1]: uid; ARGV[2]: node; ARGV[3]: now (ms); ARGV[4]: lease (ms); ARGV[5..]: names, in
-- the order they are preferred. Returns the name claimed, or false when none is free.
local live = {}
for _, entry in ipairs(redis.call('ZRANGE', KEYS[2], ARGV[3], '+inf', 'BYSCORE')) do
  local name = string.match(entry, '^[^\n]*\n(.*)$')
  if name then
    live[name] = true
  end
end
for i = 5, #ARGV do
  local name = ARGV[i]
  if not live[name] or redis.call('HGET', KEYS[1], name) == ARGV[1] then
    redis.call('HSET', KEYS[1], name, ARGV[1])
    redis.call('ZADD', KEYS[2], tonumber(ARGV[3]) + tonumber(ARGV[4]), ARGV[2] .. '\n' .. name)
    redis.call('PEXPIRE', KEYS[1], ARGV[4])
    redis.call('PEXPIRE', KEYS[2], ARGV[4])
    return name
  end
end
return false
