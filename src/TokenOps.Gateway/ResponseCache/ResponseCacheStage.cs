using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Telemetry;
using TokenOps.Storage;

namespace TokenOps.Gateway.ResponseCache;

/// <summary>
/// TokenOps' response cache (tokenops.json "cache"), after routing and output control (the key holds the model that
/// serves and the output limit it obeys) and before rate limits and admission: a hit is answered here, in the client's
/// protocol and delivery (JSON or SSE, whichever way the answer was stored), reserves nothing, is not counted against
/// token rate limits, and leaves one ledger row at cost 0 whose saving is what the answer cost when it was paid for.
/// A miss that may be cached carries an <see cref="AnswerCapture"/> through the forward stage; <see cref="RememberAsync"/>
/// then stores the provider's answer if it came back whole. Lookups are the registered <see cref="IResponseCacheLookup"/>s,
/// in order; the header <see cref="ClientDirective.Header"/> says which answered (or "miss").
/// </summary>
public sealed class ResponseCacheStage(ResponseCachePolicy policy, IEnumerable<IResponseCacheLookup> lookups, SettleStage settle,
    GatewayTelemetry telemetry, TimeProvider time, ILogger<ResponseCacheStage> logger)
{
    public const string Header = ClientDirective.Header;
    private readonly IResponseCacheLookup[] _lookups = lookups.ToArray();

    /// <summary>True when the request was answered from the cache (row settled, answer written): the pipeline stops there.</summary>
    public async Task<bool> TryAnswerAsync(ProxyContext context)
    {
        if (policy.IsOff || !context.Route.JsonBody || context.Key is not { } key || context.ModelRoute is not { } route) return false;
        if (policy.For(context.Route.Name, key.Team) is not { } settings) return false;
        var response = context.Http.Response;
        var directive = ClientDirective.Read(context.Http.Request.Headers);
        if (directive == CacheDirective.Bypass)
        {
            response.Headers[Header] = "bypass";
            return false;
        }
        CacheQuery query;
        using (var doc = JsonDocument.Parse(context.Body))
        {
            if (Cacheability.Refusal(context.Route.Name, doc.RootElement, settings.CacheToolResults) is not null)
            {
                response.Headers[Header] = "miss";
                return false;
            }
            var scope = settings.Scope switch
            {
                CacheScopes.Org => "org",
                CacheScopes.Person => "person:" + key.Person,
                _ => "team:" + key.Team,
            };
            query = new CacheQuery(context.Route.Name, key.Team, key.Person, route.ServedModel, scope,
                ResponseCacheKey.Compute(context.Route.Name, route.ServedModel, scope, doc.RootElement), context.Body!, settings, time.GetUtcNow());
        }
        if (directive != CacheDirective.Refresh)
        {
            foreach (var lookup in _lookups)
            {
                if (await FindAsync(lookup, query) is not { } entry || JsonNode.Parse(entry.Answer) is not JsonObject answer) continue;
                telemetry.RecordCacheLookup(key.Team, lookup.Kind == ExactResponseCache.KindName ? "hit" : lookup.Kind);
                context.CacheHit = lookup.Kind;
                context.CacheSourceId = entry.SourceId;
                context.CacheSavedNanos = entry.SourceCostNanos;
                await ReplayAsync(context, answer);
                return true;
            }
            telemetry.RecordCacheLookup(key.Team, "miss");
        }
        response.Headers[Header] = "miss";
        context.CacheQuery = query;
        context.AnswerCapture = new AnswerCapture(context.Route.Name, settings.MaxEntryBytes);
        return false;
    }

    /// <summary>After the provider answered a cacheable miss: stores the answer when it is whole and successful. Never throws.</summary>
    public async Task RememberAsync(ProxyContext context)
    {
        if (context.AnswerCapture is not { } capture || context.CacheQuery is not { } query) return;
        context.AnswerCapture = null;
        if (context.Outcome != Core.Ledger.LedgerOutcome.Ok || context.Status != 200 || context.SettledCostNanos is not { } cost) return;
        try
        {
            if (capture.Answer() is not { } answer) return;
            // The Responses API echoes the request's instructions: a prompt, which the cache never keeps (a replay puts
            // the asking request's own back).
            if (answer.ContainsKey("instructions")) answer["instructions"] = null;
            var json = answer.ToJsonString();
            if (Encoding.UTF8.GetByteCount(json) > query.Settings.MaxEntryBytes) return;
            var stored = new StoredAnswer(json, context.EventId, cost);
            var now = time.GetUtcNow();
            foreach (var lookup in _lookups)
            {
                try
                {
                    await lookup.RememberAsync(query, stored, now);
                }
                catch (Exception ex)
                {
                    logger.LogWarning("Response cache ({Kind}) could not store the answer of {EventId}: {Message}", lookup.Kind, context.EventId, ex.Message);
                }
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Response cache could not read the answer of {EventId}", context.EventId);
        }
    }

    private async Task<ResponseCacheEntry?> FindAsync(IResponseCacheLookup lookup, CacheQuery query)
    {
        try
        {
            return await lookup.FindAsync(query);
        }
        catch (Exception ex)
        {
            logger.LogWarning("Response cache ({Kind}) lookup failed; asking the provider: {Message}", lookup.Kind, ex.Message);
            return null;
        }
    }

    /// <summary>Journals the row first (cost 0, the saving, the source), then answers, like every other path.</summary>
    private async Task ReplayAsync(ProxyContext context, JsonObject answer)
    {
        var facts = context.Facts!;
        if (context.Route.Name == "openai.responses") EchoRequest(answer, context.Body!);
        var body = facts.Stream
            ? ReplayWriter.For(context.Route.Name).Stream(answer, facts.ClientAskedForUsage)
            : Encoding.UTF8.GetBytes(answer.ToJsonString());
        context.TimeToFirstTokenMs = context.ElapsedMs;
        settle.Settle(context);
        var response = context.Http.Response;
        response.StatusCode = 200;
        response.ContentType = facts.Stream ? "text/event-stream" : "application/json";
        if (facts.Stream) response.Headers.CacheControl = "no-cache";
        response.Headers["X-TokenOps-Request-Id"] = context.EventId;
        response.Headers[Header] = context.CacheHit == ExactResponseCache.KindName ? "hit" : context.CacheHit;
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, context.Http.RequestAborted);
    }

    /// <summary>The fields a Responses object echoes from the request that asked (instructions, metadata, user), from this request.</summary>
    private static void EchoRequest(JsonObject answer, byte[] body)
    {
        if (JsonNode.Parse(body) is not JsonObject request) return;
        foreach (var field in (ReadOnlySpan<string>)["instructions", "metadata", "user"])
            if (answer.ContainsKey(field) || request.ContainsKey(field)) answer[field] = request[field]?.DeepClone();
    }
}
