using System.Text;
using System.Text.Json;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.Protocols;

namespace TokenOps.Gateway.Pipeline;

/// <summary>
/// GET /v1/models, answered by TokenOps itself: the models this gateway routes, in the OpenAI list shape, or the
/// Anthropic shape when the client sends anthropic-version. Authenticated and recorded like every request.
/// </summary>
public sealed class ModelsEndpoint(AuthenticateStage authenticate, ModelRouterHolder router, SettleStage settle, TimeProvider time)
{
    public const string RouteName = "gateway.models";

    public async Task InvokeAsync(HttpContext http)
    {
        var anthropic = http.Request.Headers.ContainsKey("anthropic-version");
        var route = anthropic ? ListRoute.Anthropic : ListRoute.OpenAI;
        var context = new ProxyContext(http, route, EventIds.New(time.GetUtcNow()), time.GetUtcNow());
        try
        {
            authenticate.Run(context);
            var models = router.Current.RoutableModels(route.Dialect).Distinct().Order(StringComparer.Ordinal).ToList();
            var body = anthropic ? AnthropicList(models) : OpenAIList(models);
            http.Response.ContentType = "application/json";
            http.Response.Headers["X-TokenOps-Request-Id"] = context.EventId;
            settle.Settle(context);
            await http.Response.Body.WriteAsync(body, http.RequestAborted);
        }
        catch (GatewayException ex)
        {
            context.Fail(ex.Status, LedgerOutcome.Refused, ex.Code);
            settle.Settle(context);
            var body = ErrorBodies.Write(route.Dialect, ex.Status, ex.Code, ex.Message);
            http.Response.StatusCode = ex.Status;
            http.Response.ContentType = "application/json";
            await http.Response.Body.WriteAsync(body, http.RequestAborted);
        }
        finally
        {
            settle.Settle(context);
        }
    }

    private static byte[] OpenAIList(List<string> models)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            foreach (var m in models)
            {
                w.WriteStartObject();
                w.WriteString("id", m);
                w.WriteString("object", "model");
                w.WriteNumber("created", 0);
                w.WriteString("owned_by", "tokenops");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static byte[] AnthropicList(List<string> models)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("data");
            foreach (var m in models)
            {
                w.WriteStartObject();
                w.WriteString("type", "model");
                w.WriteString("id", m);
                w.WriteString("display_name", m);
                w.WriteString("created_at", "1970-01-01T00:00:00Z");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteBoolean("has_more", false);
            if (models.Count > 0) { w.WriteString("first_id", models[0]); w.WriteString("last_id", models[^1]); }
            else { w.WriteNull("first_id"); w.WriteNull("last_id"); }
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>The models list is answered locally, so it has no request body or meter; it is a route only for the ledger.</summary>
    private sealed class ListRoute(Dialect dialect) : ProtocolRoute
    {
        public static readonly ListRoute OpenAI = new(Dialect.OpenAI);
        public static readonly ListRoute Anthropic = new(Dialect.Anthropic);
        public override string Name => RouteName;
        public override string Path => "/v1/models";
        public override Dialect Dialect => dialect;
        public override RequestFacts Read(JsonElement root) => throw new NotSupportedException();
        public override UsageMeter CreateMeter(RequestFacts facts) => throw new NotSupportedException();
        public override void CollectPromptText(JsonElement root, StringBuilder text) { }
    }
}
