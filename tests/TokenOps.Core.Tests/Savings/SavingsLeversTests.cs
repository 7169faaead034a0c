using Xunit;
using TokenOps.Core.Savings;

namespace TokenOps.Core.Tests.Savings;

public class SavingsLeversTests
{
    [Theory]
    [InlineData("routed", "routed", true)]
    [InlineData("routed,capped", "capped", true)]
    [InlineData("routed,degraded,cache-breakpoint", "degraded", true)]
    [InlineData("cache-breakpoint", "cache", false)]
    [InlineData("routed,degraded", "degrade", false)]
    [InlineData("xrouted,capped", "routed", false)]
    [InlineData(null, "routed", false)]
    public void A_lever_applies_when_the_list_names_it_whole(string? levers, string lever, bool applies) =>
        Assert.Equal(applies, SavingsLevers.Applies(levers, lever));
}
