-- React: ARGV[5] the emoji, ARGV[6] '1' to add it or '0' to take it back, ARGV[7] the
-- name shown for the user, ARGV[8] how many kinds a message may have, ARGV[9] how many
-- names a reaction shows, ARGV[10] what the keys of each message's reactors start with.
-- A message's reactors are a hash: field `<emoji>\n<uid>`, value [order, emoji, name]
-- (JSON), and `#` counting the order reactions came in.
if not seq or deleted then
  return 'not_found'
end
local reactors = ARGV[10] .. seq
local field = ARGV[5] .. '\n' .. ARGV[2]

local function rows()
  local all = redis.call('HGETALL', reactors)
  local found = {}
  for i = 1, #all, 2 do
    if all[i] ~= '#' then
      found[#found + 1] = cjson.decode(all[i + 1])
    end
  end
  return found
end

if ARGV[6] == '1' then
  if redis.call('HEXISTS', reactors, field) == 0 then
    local kinds, count = {}, 0
    for _, row in ipairs(rows()) do
      if row[2] ~= ARGV[5] and not kinds[row[2]] then
        kinds[row[2]] = true
        count = count + 1
      end
    end
    if count >= tonumber(ARGV[8]) then
      return 'too_many'
    end
    local order = redis.call('HINCRBY', reactors, '#', 1)
    redis.call('HSET', reactors, field, cjson.encode({order, ARGV[5], ARGV[7]}))
  end
else
  redis.call('HDEL', reactors, field)
end

-- The summary history shows: by emoji in the order first used, each with its count and
-- the first names, as the other stores tally it.
local all = rows()
table.sort(all, function(a, b) return a[1] < b[1] end)
local summary, by_emoji = {}, {}
local shown = tonumber(ARGV[9])
for _, row in ipairs(all) do
  local reaction = by_emoji[row[2]]
  if not reaction then
    reaction = {emoji = row[2], count = 0, users = {}, named = {}}
    by_emoji[row[2]] = reaction
    summary[#summary + 1] = reaction
  end
  reaction.count = reaction.count + 1
  if #reaction.users < shown and not reaction.named[row[3]] then
    reaction.named[row[3]] = true
    reaction.users[#reaction.users + 1] = row[3]
  end
end
for _, reaction in ipairs(summary) do
  reaction.named = nil
end
if #summary == 0 then
  redis.call('HDEL', KEYS[6], seq)
  redis.call('DEL', reactors)
else
  redis.call('HSET', KEYS[6], seq, cjson.encode(summary))
end
relay()
return 'ok'
