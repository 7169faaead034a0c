namespace TokenOps.Routing;

/// <summary>A prompt's score: 0..1, higher means it needs a stronger model; the reasons are short words for people
/// ("maths", "code", "long prompt", "embedding: hard"), the strongest first.</summary>
public sealed record RouteScore(double StrongScore, IReadOnlyList<string> Reasons);

/// <summary>Scores a prompt for routing. Implementations are thread-safe.</summary>
public interface IRouteScorer
{
    RouteScore Score(RoutePrompt prompt);
}
