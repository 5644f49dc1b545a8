-- Edit: ARGV[5] when (ms), ARGV[6] the new text.
if not seq then
  return 'not_found'
end
if author ~= ARGV[2] then
  return 'forbidden'
end
if deleted then
  return 'not_found'
end
redis.call('HSET', KEYS[3], seq, ARGV[6])
redis.call('HSET', KEYS[4], seq, ARGV[5])
relay()
return 'ok'
