using TokenOps.Gateway.Routing;

namespace TokenOps.Gateway.Tests.Routing;

public class QualityDialTests
{
    [Fact]
    public void A_threshold_sends_scores_at_or_above_it_to_the_strongest_and_spreads_the_rest()
    {
        var dial = QualityDial.FixedThreshold(0.6);
        var window = new ScoreWindow();
        Assert.Equal(1, dial.Pick(0.6, 2, window));
        Assert.Equal(0, dial.Pick(0.59, 2, window));
        // Three candidates: [0, 0.3) cheapest, [0.3, 0.6) middle, [0.6, 1] strongest.
        Assert.Equal(0, dial.Pick(0.29, 3, window));
        Assert.Equal(1, dial.Pick(0.31, 3, window));
        Assert.Equal(2, dial.Pick(0.9, 3, window));
        Assert.Equal(0, dial.Pick(0.9, 1, window));
    }

    [Fact]
    public void A_share_follows_the_scores_seen_whatever_their_scale()
    {
        var dial = QualityDial.Share(0.2);
        var window = new ScoreWindow(capacity: 100);
        // Until enough scores are seen, the share's complement stands in.
        Assert.Equal(0.8, window.ScoreAtShare(0.2), 9);
        // Scores all between 0.40 and 0.50: a fixed 0.8 would send nothing to the strong model.
        for (var i = 0; i < 100; i++) window.Add(0.40 + i / 1000.0);
        var strong = Enumerable.Range(0, 100).Count(i => dial.Pick(0.40 + i / 1000.0, 2, window) == 1);
        Assert.Equal(20, strong);
        Assert.Equal(double.PositiveInfinity, window.ScoreAtShare(0));
        Assert.Equal(double.NegativeInfinity, window.ScoreAtShare(1));
    }

    [Fact]
    public void The_window_keeps_only_the_latest_scores()
    {
        var window = new ScoreWindow(capacity: 60);
        for (var i = 0; i < 60; i++) window.Add(0.1);
        for (var i = 0; i < 60; i++) window.Add(0.9);
        Assert.Equal(0.9, window.ScoreAtShare(0.5), 9);
    }
}
