namespace TokenOps.Gateway.Routing;

/// <summary>
/// The last scores one router gave (a fixed ring), for a strong share: the threshold is the score that share of recent
/// requests reached. Thread-safe; the quantile is recomputed at most every <see cref="RecomputeEvery"/> scores, so a
/// request pays a lock and an array write, not a sort.
/// </summary>
public sealed class ScoreWindow(int capacity = 1024)
{
    private const int MinScores = 50;
    private const int RecomputeEvery = 32;
    private readonly double[] _scores = new double[capacity];
    private readonly Lock _gate = new();
    private int _count;
    private int _next;
    private int _sinceSort = RecomputeEvery;
    private double[] _sorted = [];

    public void Add(double score)
    {
        lock (_gate)
        {
            _scores[_next] = score;
            _next = (_next + 1) % _scores.Length;
            if (_count < _scores.Length) _count++;
            if (_sinceSort < RecomputeEvery) _sinceSort++;
        }
    }

    /// <summary>The score the top <paramref name="share"/> of recent requests reached (1 − share until enough were seen).</summary>
    public double ScoreAtShare(double share)
    {
        if (share <= 0) return double.PositiveInfinity;
        if (share >= 1) return double.NegativeInfinity;
        lock (_gate)
        {
            if (_count < MinScores) return 1 - share;
            if (_sinceSort >= RecomputeEvery || _sorted.Length == 0)
            {
                _sorted = _scores.AsSpan(0, _count).ToArray();
                Array.Sort(_sorted);
                _sinceSort = 0;
            }
            // The smallest score among the top share: ceil(share × n) scores are at or above it.
            var strong = (int)Math.Ceiling(share * _sorted.Length);
            return _sorted[Math.Clamp(_sorted.Length - strong, 0, _sorted.Length - 1)];
        }
    }
}
