using System.CommandLine;
using System.Text;
using System.Text.Json;
using TokenOps.Gateway;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Routing;
using TokenOps.Routing;

namespace TokenOps.Cli.Commands;

/// <summary>
/// `tokenops route score [--router NAME] &lt; requests.jsonl`: for each line (an OpenAI chat body, an Anthropic messages
/// body, or {"prompt": "..."}), one JSON line with the model the router would choose, the strong score and the reasons:
/// the gateway's own decision (candidates that can serve the request, scorer, dial), without sending anything. A line that
/// cannot be read gets {"error": ...} in its place, so output lines match input lines.
/// </summary>
internal static class RouteScoreCommand
{
    /// <summary>The router used when tokenops.json configures none, so the command works on a fresh machine.</summary>
    private static RouterOptions DefaultRouter() => new()
    {
        Openai = ["gpt-4o-mini", "gpt-4o"],
        Anthropic = ["claude-haiku-4-5", "claude-sonnet-4-5"],
        StrongShare = 0.3,
    };

    public static Command Create()
    {
        var config = CommonOptions.Config();
        var router = new Option<string?>("--router") { Description = "The router to score with: a name under routing.routers (default: auto)" };
        var protocol = new Option<string>("--protocol") { Description = "openai, anthropic, or detect from each body (default)", DefaultValueFactory = _ => "detect" };
        protocol.AcceptOnlyFromAmong("detect", "openai", "anthropic");
        var command = new Command("score", "Score requests read from stdin, one JSON body per line: the model the router would choose, strong_score (0-1, higher needs a stronger model) and reasons")
        {
            router, protocol, config,
        };
        command.SetAction(parse =>
        {
            var options = BudgetsCommand.LoadOptions(parse.GetValue(config));
            var usingDefault = options.Routing.Routers.Count == 0;
            if (usingDefault) options.Routing.Routers[AutoRouters.Auto] = DefaultRouter();
            var models = GatewayHost.BuildOfflineRouter(options);
            var name = parse.GetValue(router);
            var chosen = models.Routers.Resolve(name is null ? AutoRouters.Auto : "auto:" + name, null, null);
            if (usingDefault) Console.Error.WriteLine("tokenops: no routers in tokenops.json; scoring with the default (gpt-4o-mini/gpt-4o, claude-haiku-4-5/claude-sonnet-4-5, strong share 0.3).");
            var picker = new CandidatePicker(StrongScorer.LoadDefault(), new TokenCounter());
            return Score(chosen, picker, parse.GetValue(protocol)!, Console.In, Console.Out);
        });
        return command;
    }

    internal static int Score(AutoRouter router, CandidatePicker picker, string protocol, TextReader input, TextWriter output)
    {
        var failed = 0;
        string? line;
        var number = 0;
        while ((line = input.ReadLine()) is not null)
        {
            number++;
            if (line.Trim().Length == 0) continue;
            var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                w.WriteStartObject();
                try
                {
                    var bytes = Encoding.UTF8.GetBytes(line);
                    using var doc = JsonDocument.Parse(bytes);
                    var root = doc.RootElement;
                    if (root.ValueKind != JsonValueKind.Object) throw new JsonException("a line must be a JSON object");
                    var route = GatewayHost.Protocol(Dialect(root, protocol, router) == Gateway.Protocols.Dialect.Anthropic ? "anthropic.messages" : "openai.chat");
                    var decision = picker.Decide(router, route, root, bytes.Length, MaxOutput(root));
                    w.WriteString("model", decision.Choice.Route.ServedModel);
                    w.WriteNumber("strong_score", Math.Round(decision.Score.StrongScore, 6));
                    w.WriteStartArray("reasons");
                    foreach (var reason in decision.Score.Reasons) w.WriteStringValue(reason);
                    w.WriteEndArray();
                }
                catch (Exception ex) when (ex is JsonException or GatewayException)
                {
                    failed++;
                    w.WriteString("error", $"line {number}: {ex.Message}");
                }
                w.WriteEndObject();
            }
            output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
        }
        if (failed > 0) Console.Error.WriteLine($"tokenops: {failed} line(s) could not be scored (see their \"error\").");
        return failed > 0 ? 1 : 0;
    }

    /// <summary>An Anthropic body has a top-level system or Anthropic-only content blocks; a bare prompt goes where the router has candidates.</summary>
    private static Dialect Dialect(JsonElement root, string protocol, AutoRouter router)
    {
        if (protocol == "openai") return Gateway.Protocols.Dialect.OpenAI;
        if (protocol == "anthropic") return Gateway.Protocols.Dialect.Anthropic;
        if (root.TryGetProperty("system", out _)) return Gateway.Protocols.Dialect.Anthropic;
        if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
                if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
                    foreach (var block in content.EnumerateArray())
                        if (block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                            && type.GetString() is "tool_use" or "tool_result" or "image" or "document")
                            return Gateway.Protocols.Dialect.Anthropic;
            return Gateway.Protocols.Dialect.OpenAI;
        }
        return router.Candidates(Gateway.Protocols.Dialect.OpenAI).Count > 0 ? Gateway.Protocols.Dialect.OpenAI : Gateway.Protocols.Dialect.Anthropic;
    }

    private static long MaxOutput(JsonElement root)
    {
        foreach (var field in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens", "max_output_tokens"])
            if (root.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n)) return n;
        return 0;
    }
}
