using System.Text;
using System.Text.Json;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.Protocols;

namespace TokenOps.Gateway.Pipeline;

/// <summary>
/// GET /v1/models and /v1/models/{id}, answered by TokenOps itself: the models this gateway routes, in the OpenAI shape,
/// or the Anthropic shape when the client sends anthropic-version. Authenticated and recorded like every request.
/// </summary>
public sealed class ModelsEndpoint(AuthenticateStage authenticate, ModelRouterHolder router, SettleStage settle, TimeProvider time)
{
    public const string RouteName = "gateway.models";

    public Task InvokeAsync(HttpContext http) =>
        AnswerAsync(http, (anthropic, models) => anthropic ? AnthropicList(models) : OpenAIList(models));

    /// <summary>GET /v1/models/{id}: one routable model in the client's shape, or 404 model_not_found.</summary>
    public Task InvokeOneAsync(HttpContext http, string id) =>
        AnswerAsync(http, (anthropic, models) =>
        {
            if (!models.Contains(id, StringComparer.Ordinal))
                throw new GatewayException(404, "model_not_found", $"The model '{id}' is not routed by this gateway. GET /v1/models lists those that are.", "model");
            return Json(w => WriteModel(w, id, anthropic));
        });

    /// <summary>Authenticates, answers from the routable models, and records one $0 row, whatever happens.</summary>
    private async Task AnswerAsync(HttpContext http, Func<bool, List<string>, byte[]> answer)
    {
        var anthropic = http.Request.Headers.ContainsKey("anthropic-version");
        var route = anthropic ? ListRoute.Anthropic : ListRoute.OpenAI;
        var context = new ProxyContext(http, route, EventIds.New(time.GetUtcNow()), time.GetUtcNow());
        try
        {
            authenticate.Run(context);
            var models = router.Current.RoutableModels(route.Dialect).Distinct().Order(StringComparer.Ordinal).ToList();
            var body = answer(anthropic, models);
            http.Response.ContentType = "application/json";
            http.Response.Headers["X-TokenOps-Request-Id"] = context.EventId;
            settle.Settle(context);
            await http.Response.Body.WriteAsync(body, http.RequestAborted);
        }
        catch (GatewayException ex)
        {
            context.Fail(ex.Status, LedgerOutcome.Refused, ex.Code);
            settle.Settle(context);
            var body = ErrorBodies.Write(route.Dialect, ex.Status, ex.Code, ex.Message, ex.Param);
            http.Response.StatusCode = ex.Status;
            http.Response.ContentType = "application/json";
            await http.Response.Body.WriteAsync(body, http.RequestAborted);
        }
        finally
        {
            settle.Settle(context);
        }
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) write(w);
        return buffer.ToArray();
    }

    private static void WriteModel(Utf8JsonWriter w, string id, bool anthropic)
    {
        w.WriteStartObject();
        if (anthropic)
        {
            w.WriteString("type", "model");
            w.WriteString("id", id);
            w.WriteString("display_name", id);
            w.WriteString("created_at", "1970-01-01T00:00:00Z");
        }
        else
        {
            w.WriteString("id", id);
            w.WriteString("object", "model");
            w.WriteNumber("created", 0);
            w.WriteString("owned_by", "tokenops");
        }
        w.WriteEndObject();
    }

    private static byte[] OpenAIList(List<string> models) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        foreach (var m in models) WriteModel(w, m, anthropic: false);
        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static byte[] AnthropicList(List<string> models) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("data");
        foreach (var m in models) WriteModel(w, m, anthropic: true);
        w.WriteEndArray();
        w.WriteBoolean("has_more", false);
        if (models.Count > 0) { w.WriteString("first_id", models[0]); w.WriteString("last_id", models[^1]); }
        else { w.WriteNull("first_id"); w.WriteNull("last_id"); }
        w.WriteEndObject();
    });

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
