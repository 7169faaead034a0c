using System.Text.Json;
namespace TokenOps.Routing;
public sealed record RouteTurn(string Role, string Text);
public sealed record RoutePrompt(string? System, IReadOnlyList<RouteTurn> Turns, int ToolCount, long? RequestedOutputTokens);
public static class RoutePromptReader {
    public static RoutePrompt Read(JsonElement root) {
        var turns = new List<RouteTurn>();
        if (root.TryGetProperty("messages", out var m) && m.ValueKind == JsonValueKind.Array)
            foreach (var x in m.EnumerateArray()) if (x.TryGetProperty("content", out var c)) turns.Add(new RouteTurn("user", c.ValueKind == JsonValueKind.String ? c.GetString()! : c.GetRawText()));
        return new RoutePrompt(null, turns, 0, null);
    }
}
public sealed record RouteScore(double StrongScore, IReadOnlyList<string> Reasons);
public interface IRouteScorer { RouteScore Score(RoutePrompt prompt); }
public sealed class StrongScorer : IRouteScorer {
    public static StrongScorer LoadDefault() => new();
    public RouteScore Score(RoutePrompt p) { var t = p.Turns.Count == 0 ? "" : p.Turns[^1].Text; return new(Math.Min(1, t.Length / 300.0), ["stub"]); }
}
