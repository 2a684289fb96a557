// The Lua scripts of the Redis store (redis_store.cc): each runs atomically in Redis, on the
// keys of one slot, and is sent by EVALSHA.
#pragma once

namespace parley::store::redis {

// One turn, atomically. KEYS: meta, events, turn sizes, snapshot, dedup, outbox stream, outbox
// seq, lease. ARGV: expected version, fence, n events, events..., message id, reply, snapshot,
// n outbox, records... Returns {1, new version} or {0, current version} (conflict: nothing
// written): the version moved on, or another writer holds the conversation's lease.
inline constexpr const char* kAppendScript = R"lua(
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return {0, v} end
local fence = ARGV[2]
if fence ~= '0' then
  local holder = redis.call('GET', KEYS[8])
  if holder and holder ~= fence then return {0, v} end
  if holder == fence then redis.call('DEL', KEYS[8]) end
end
local i = 3
local ne = tonumber(ARGV[i]); i = i + 1
for j = 0, ne - 1, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(ARGV, i + j, i + math.min(j + 999, ne - 1)))
end
i = i + ne
redis.call('RPUSH', KEYS[3], ne)
if ARGV[i] ~= '' then redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1]) end
i = i + 2
if ARGV[i] ~= '' then
  redis.call('SET', KEYS[4], ARGV[i])
  redis.call('HSET', KEYS[1], 'sv', v + ne)
end
i = i + 1
local no = tonumber(ARGV[i]); i = i + 1
if no > 0 then
  local last = redis.call('INCRBY', KEYS[7], no)
  for j = 0, no - 1 do
    redis.call('XADD', KEYS[6], (last - no + j + 1) .. '-0', 'r', ARGV[i + j])
  end
end
redis.call('HINCRBY', KEYS[1], 'v', ne)
redis.call('HINCRBY', KEYS[1], 't', 1)
return {1, v + ne}
)lua";

// A consistent read of a conversation. KEYS: meta, events, snapshot. ARGV: max events.
// Returns {v, t, sv, snapshot, first loaded, events...}.
inline constexpr const char* kLoadScript = R"lua(
local m = redis.call('HMGET', KEYS[1], 'v', 't', 'sv')
local v = tonumber(m[1] or '0')
local t = tonumber(m[2] or '0')
local sv = tonumber(m[3] or '0')
local snap = ''
local from = 0
if sv > 0 then snap = redis.call('GET', KEYS[3]) or ''; from = sv end
local maxe = tonumber(ARGV[1])
if maxe > 0 and v - from > maxe then from = v - maxe end
local out = {v, t, sv, snap, from}
if from < v then
  local ev = redis.call('LRANGE', KEYS[2], from, v - 1)
  for k = 1, #ev do out[#out + 1] = ev[k] end
end
return out
)lua";

// Events [from, from+count) with their turn numbers. KEYS: events, turn sizes. ARGV: from,
// count. Returns {turn, event, turn, event, ...}.
inline constexpr const char* kTurnEventsScript = R"lua(
local from = tonumber(ARGV[1])
local ev = redis.call('LRANGE', KEYS[1], from, from + tonumber(ARGV[2]) - 1)
local sizes = redis.call('LRANGE', KEYS[2], 0, -1)
local out = {}
local start = 0
local k = 1
for t = 1, #sizes do
  local n = tonumber(sizes[t])
  while k <= #ev and from + k - 1 < start + n do
    out[#out + 1] = t
    out[#out + 1] = ev[k]
    k = k + 1
  end
  start = start + n
  if k > #ev then break end
end
return out
)lua";

// The lease. KEYS: lease, fence counter. ARGV: ttl ms, the token the caller holds. Returns the
// token (renewed, or new from the counter) or 0 while another holder has it.
inline constexpr const char* kAcquireScript = R"lua(
local holder = redis.call('GET', KEYS[1])
if holder and holder == ARGV[2] then redis.call('PEXPIRE', KEYS[1], ARGV[1]); return tonumber(holder) end
if holder then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
return token
)lua";

// Gives the lease back if the caller still holds it. KEYS: lease. ARGV: token.
inline constexpr const char* kReleaseScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
)lua";

// The relay claim: taken when free, renewed when ours, atomically. KEYS: claim. ARGV: owner, ttl ms.
inline constexpr const char* kClaimScript = R"lua(
local cur = redis.call('GET', KEYS[1])
if not cur then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]); return 1 end
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]); return 1 end
return 0
)lua";

// The start of a turn. KEYS: lease, fence counter, meta, dedup. ARGV: ttl ms, the token the caller
// holds (0 = none), message id ("" = none). Returns {reply, 0} when the message id has a stored
// reply (a retry: no lease taken, the caller's released), else {token, version} with the lease
// taken or renewed, or {0, 0} while another holder has it.
inline constexpr const char* kBeginTurnScript = R"lua(
local holder = redis.call('GET', KEYS[1])
if ARGV[3] ~= '' then
  local reply = redis.call('HGET', KEYS[4], ARGV[3])
  if reply then
    if holder and holder == ARGV[2] then redis.call('DEL', KEYS[1]) end
    return {reply, 0}
  end
end
local token
if holder and holder == ARGV[2] then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  token = tonumber(holder)
elseif holder then
  return {0, 0}
else
  token = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
end
return {token, tonumber(redis.call('HGET', KEYS[3], 'v') or '0')}
)lua";

// Cluster: one partition's new outbox records into the global stream. KEYS: merge marks (hash
// partition -> last merged entry of its stream), global stream, global seq. ARGV: partition,
// the mark the caller read, the last entry it copies, n, records... Copies nothing (0) when the
// mark moved meanwhile (another merge copied them).
inline constexpr const char* kMergeScript = R"lua(
local mark = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if mark ~= tonumber(ARGV[2]) then return 0 end
local n = tonumber(ARGV[4])
local last = redis.call('INCRBY', KEYS[3], n)
for j = 1, n do
  redis.call('XADD', KEYS[2], (last - n + j) .. '-0', 'r', ARGV[4 + j])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return n
)lua";

}  // namespace parley::store::redis
