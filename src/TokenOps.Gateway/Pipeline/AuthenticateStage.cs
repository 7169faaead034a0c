using System.Collections.Concurrent;
using TokenOps.Core.Identity;
using TokenOps.Gateway.Protocols;
using TokenOps.Storage;

namespace TokenOps.Gateway.Pipeline;

/// <summary>
/// Finds the virtual key (Authorization: Bearer, or Anthropic's x-api-key). Lookups are cached for a few seconds so
/// the hot path does not touch the database; revocation through the admin API clears the cache at once, revocation from
/// the CLI (another process) takes effect within <see cref="CacheTtl"/>. Expiry is checked on every request; last use
/// is noted in memory (<see cref="Keys.KeyUsage"/>) and written in batches.
/// </summary>
public sealed class AuthenticateStage(IKeyStore keys, Keys.KeyUsage usage, TimeProvider time)
{
    public static readonly TimeSpan CacheTtl = TimeSpan.FromSeconds(5);
    private const int MaxCachedKeys = 100_000;
    private readonly ConcurrentDictionary<string, (VirtualKey? Key, long Expires)> _cache = new(StringComparer.Ordinal);

    public void Run(ProxyContext context) => context.Key = Authenticate(context.Http.Request);

    public VirtualKey Authenticate(HttpRequest request)
    {
        var secret = ReadSecret(request)
            ?? throw new GatewayException(401, "missing_api_key",
                "No API key. Send your TokenOps virtual key as 'Authorization: Bearer tok_…' or 'x-api-key: tok_…'.");
        // The presented value is never echoed back: it may be a real provider key sent here by mistake.
        if (!VirtualKeyFormat.LooksLikeKey(secret))
            throw new GatewayException(401, "invalid_api_key", "The API key is not a TokenOps virtual key (they start with 'tok_').");
        var hash = VirtualKeyFormat.Hash(secret);
        var now = time.GetTimestamp();
        if (!_cache.TryGetValue(hash, out var cached) || cached.Expires < now)
        {
            cached = (Find(secret, cached.Key), now + (long)(CacheTtl.TotalSeconds * time.TimestampFrequency));
            // Only real keys are cached, and the cache is bounded: random tok_ guesses cannot grow memory.
            if (cached.Key is not null)
            {
                if (_cache.Count >= MaxCachedKeys) _cache.Clear();
                _cache[hash] = cached;
            }
        }
        var key = cached.Key ?? throw new GatewayException(401, "invalid_api_key", "Unknown API key.");
        if (key.IsRevoked) throw new GatewayException(401, "key_revoked", $"The API key {key.DisplayPrefix} was revoked.");
        // Checked on every request, cached or not: a key stops at its expiry (a rotated key at the end of its overlap).
        var at = time.GetUtcNow();
        if (key.IsExpired(at))
            throw new GatewayException(401, "key_expired", key.RotatedTo is not null
                ? $"The API key {key.DisplayPrefix} was rotated and its overlap ended at {key.ExpiresAt:yyyy-MM-dd HH:mm} UTC; use its replacement."
                : $"The API key {key.DisplayPrefix} expired at {key.ExpiresAt:yyyy-MM-dd HH:mm} UTC; ask for a new key.");
        usage.Touch(key.Id, at);
        return key;
    }

    public void Invalidate() => _cache.Clear();

    /// <summary>
    /// The store's answer; while the store is unreachable (a database outage), the last answer for this key stands and
    /// is asked again after another <see cref="CacheTtl"/>, so requests keep flowing (their rows wait in the journal). A
    /// key never seen before cannot be checked then: 503, retryable.
    /// </summary>
    private VirtualKey? Find(string secret, VirtualKey? lastKnown)
    {
        try
        {
            return keys.FindBySecret(secret);
        }
        catch (Exception) when (lastKnown is not null)
        {
            return lastKnown;
        }
        catch (Exception ex) when (ex is not GatewayException)
        {
            throw new GatewayException(503, "key_store_unavailable", "API keys cannot be checked right now (the gateway's database is unreachable); retry shortly.");
        }
    }

    private static string? ReadSecret(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return authorization[7..].Trim();
        var apiKey = request.Headers["x-api-key"].ToString();
        return apiKey.Length > 0 ? apiKey.Trim() : null;
    }
}
