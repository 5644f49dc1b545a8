-- Delete: ARGV[5] when (ms), ARGV[6] what the keys of each message's reactors start
-- with. The stream entry holds no text, so removing the text, edit time and reactions
-- from their hashes leaves a tombstone that Redis keeps nothing of the text for.
if not seq then
  return 'not_found'
end
if author ~= ARGV[2] then
  return 'forbidden'
end
if not deleted then
  redis.call('HSET', KEYS[5], seq, ARGV[5])
  redis.call('HDEL', KEYS[3], seq)
  redis.call('HDEL', KEYS[4], seq)
  redis.call('HDEL', KEYS[6], seq)
  redis.call('DEL', ARGV[6] .. seq)
end
relay()
return 'ok'
