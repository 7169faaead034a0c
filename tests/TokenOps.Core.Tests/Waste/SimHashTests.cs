using Xunit;
using TokenOps.Core.Waste;

namespace TokenOps.Core.Tests.Waste;

public class SimHashTests
{
    private const string Prompt =
        "Refactor the payment retry handler so that a declined card is retried at most three times with exponential backoff, " +
        "log each attempt with the order id, and add a unit test for the case where the gateway times out on the second attempt.";

    [Fact]
    public void A_reworded_prompt_is_a_few_bits_away_and_an_unrelated_one_far()
    {
        var a = SimHash.Of(Prompt)!.Value;
        var same = SimHash.Of(Prompt.ToUpperInvariant() + "!!")!.Value;
        var reworded = SimHash.Of(Prompt.Replace("three times", "3 times", StringComparison.Ordinal) + " Please.")!.Value;
        var other = SimHash.Of("Write a haiku about the first snow in the mountains and the smell of pine needles at dawn.")!.Value;
        Assert.Equal(a, same);
        Assert.True(SimHash.Distance(a, reworded) <= RetryByVibesDetector.MaxDistance, $"distance {SimHash.Distance(a, reworded)}");
        Assert.True(SimHash.Distance(a, other) > 16, $"distance {SimHash.Distance(a, other)}");
    }

    [Fact]
    public void No_words_no_hash() => Assert.Null(SimHash.Of(" ... \n\t"));

    [Fact]
    public void Stable_hash_is_the_same_everywhere_and_sees_every_byte()
    {
        var bytes = "{\"role\":\"system\",\"content\":\"You are terse.\"}"u8.ToArray();
        Assert.Equal(StableHash.Of(bytes), StableHash.Of(bytes.ToArray()));
        bytes[^3] ^= 1;
        Assert.NotEqual(StableHash.Of("{\"role\":\"system\",\"content\":\"You are terse.\"}"u8), StableHash.Of(bytes));
    }
}
