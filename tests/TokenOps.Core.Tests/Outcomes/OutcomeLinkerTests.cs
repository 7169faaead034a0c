using TokenOps.Core.Outcomes;
using Xunit;

namespace TokenOps.Core.Tests.Outcomes;

/// <summary>The ordered linking policy, on a fixed clock (times are constants; the linker never reads the clock).</summary>
public sealed class OutcomeLinkerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero); // a Monday

    internal static Outcome Pr(string repo, int number, string person, DateTimeOffset started, DateTimeOffset merged, string? branch = null) => new()
    {
        Source = "github-pr", SourceId = $"{repo}#{number}", Key = $"{repo}#{number}", Type = OutcomeType.Pr, Person = person,
        Repository = repo, Branch = branch, StartedAt = started, CompletedAt = merged,
    };

    internal static Outcome Ticket(string key, string? person, DateTimeOffset? started, DateTimeOffset resolved) => new()
    {
        Source = "jira", SourceId = key, Key = key, Type = OutcomeType.Ticket, Person = person, StartedAt = started, CompletedAt = resolved,
    };

    internal static SpendRow Row(DateTimeOffset at, string? person = "ada", string? ticket = null, string? pr = null, string? feature = null, string? tags = null, long nanos = 1_000) =>
        new(Guid.NewGuid().ToString("N"), at, person, "core", "shop", feature, ticket, pr, tags, nanos);

    private static OutcomeLinker Linker(params Outcome[] outcomes) => new(outcomes, TimeSpan.FromDays(14));

    [Fact]
    public void ExplicitPrHeader_WinsOverTheAuthorWindow_InEveryForm()
    {
        var own = Pr("acme/shop", 7, "ada", T0, T0.AddDays(2));
        var named = Pr("acme/shop", 42, "bob", T0.AddDays(-10), T0.AddDays(5));
        var linker = Linker(own, named);
        foreach (var form in new[] { "42", "#42", "shop#42", "acme/shop#42", "https://github.com/acme/shop/pull/42" })
        {
            var link = linker.Link(Row(T0.AddHours(1), pr: form));
            Assert.Equal(named.Id, link.Outcome?.Id);
            Assert.Equal(LinkRule.Explicit, link.Rule);
        }
        Assert.Equal(named.Id, linker.Link(Row(T0.AddHours(1), tags: "pr=42")).Outcome?.Id);
        // Another repository's #42 is not this one: falls through to the author window.
        var other = linker.Link(Row(T0.AddHours(1), pr: "acme/api#42"));
        Assert.Equal((own.Id, LinkRule.AuthorWindow), (other.Outcome?.Id, other.Rule));
    }

    [Fact]
    public void ExplicitTicket_IsCaseInsensitive_AndAnUnknownTicketFallsThrough()
    {
        var ticket = Ticket("PROJ-7", "bob", null, T0.AddDays(3));
        var own = Pr("acme/shop", 1, "ada", T0.AddDays(-1), T0.AddDays(1));
        var linker = Linker(ticket, own);
        Assert.Equal((ticket.Id, LinkRule.Explicit), Id(linker.Link(Row(T0, ticket: "proj-7"))));
        Assert.Equal((ticket.Id, LinkRule.Explicit), Id(linker.Link(Row(T0, tags: "team=x,ticket=PROJ-7"))));
        Assert.Equal((own.Id, LinkRule.AuthorWindow), Id(linker.Link(Row(T0, ticket: "PROJ-999"))));
    }

    [Fact]
    public void ExplicitFeature_AndOutcomeTag()
    {
        var feature = new Outcome { Source = "manual", SourceId = "checkout-v2", Key = "checkout-v2", Type = OutcomeType.Feature, CompletedAt = T0.AddDays(30) };
        var incident = new Outcome { Source = "manual", SourceId = "inc-1", Type = OutcomeType.Incident, CompletedAt = T0.AddDays(1) };
        var linker = Linker(feature, incident);
        Assert.Equal((feature.Id, LinkRule.Explicit), Id(linker.Link(Row(T0, feature: "checkout-v2"))));
        Assert.Equal((incident.Id, LinkRule.Explicit), Id(linker.Link(Row(T0, tags: "outcome=manual:inc-1"))));
    }

    [Fact]
    public void BranchTag_LinksToThePrMergedFromIt_NotAfterTheMerge()
    {
        var pr = Pr("acme/shop", 5, "bob", T0.AddDays(1), T0.AddDays(2), branch: "feat/cart");
        var linker = Linker(pr);
        // Before the PR opened (no window), by someone else: the branch still says which work it was.
        Assert.Equal((pr.Id, LinkRule.Branch), Id(linker.Link(Row(T0, person: "ada", tags: "branch=feat/cart"))));
        Assert.Equal((pr.Id, LinkRule.Branch), Id(linker.Link(Row(T0, tags: "branch=feat/cart,repo=acme/shop"))));
        Assert.Equal((null, LinkRule.Unlinked), Id(linker.Link(Row(T0, tags: "branch=feat/cart,repo=acme/api"))));
        Assert.Equal((null, LinkRule.Unlinked), Id(linker.Link(Row(T0.AddDays(3), tags: "branch=feat/cart"))));
    }

    [Fact]
    public void RepositoryTag_NeedsTheWindow_AndTheSamePerson()
    {
        var pr = Pr("acme/shop", 5, "bob", T0, T0.AddDays(2));
        var linker = Linker(pr);
        Assert.Equal((pr.Id, LinkRule.Repository), Id(linker.Link(Row(T0.AddDays(1), person: null, tags: "repo=acme/shop"))));
        Assert.Equal((null, LinkRule.Unlinked), Id(linker.Link(Row(T0.AddDays(1), person: "ada", tags: "repo=acme/shop"))));
        Assert.Equal((null, LinkRule.Unlinked), Id(linker.Link(Row(T0.AddDays(-1), person: null, tags: "repo=acme/shop"))));
    }

    [Fact]
    public void AuthorWindow_IsInclusive_AndUsesTheFallbackWhenNoStart()
    {
        var pr = Pr("acme/shop", 1, "ada", T0, T0.AddDays(2));
        var ticket = Ticket("PROJ-1", "ada", null, T0.AddDays(30)); // window [T0+16d, T0+30d]
        var linker = Linker(pr, ticket);
        Assert.Equal(pr.Id, linker.Link(Row(T0)).Outcome?.Id);
        Assert.Equal(pr.Id, linker.Link(Row(T0.AddDays(2))).Outcome?.Id);
        Assert.Null(linker.Link(Row(T0.AddTicks(-1))).Outcome);
        Assert.Null(linker.Link(Row(T0.AddDays(15))).Outcome);
        Assert.Equal(ticket.Id, linker.Link(Row(T0.AddDays(16))).Outcome?.Id);
        Assert.Null(linker.Link(Row(T0.AddDays(1), person: "zoe")).Outcome);
        Assert.Equal(pr.Id, linker.Link(Row(T0.AddDays(1), person: "ADA")).Outcome?.Id);
    }

    [Fact]
    public void OverlappingWindows_GoToTheEarliestCompleting_ThenById()
    {
        var late = Pr("acme/shop", 2, "ada", T0, T0.AddDays(5));
        var early = Pr("acme/shop", 3, "ada", T0.AddDays(1), T0.AddDays(3));
        var sameTimeA = Ticket("A-1", "bob", T0, T0.AddDays(4));
        var sameTimeB = Ticket("B-1", "bob", T0, T0.AddDays(4));
        var linker = Linker(late, sameTimeB, early, sameTimeA);
        Assert.Equal(late.Id, linker.Link(Row(T0.AddHours(1))).Outcome?.Id);     // only the late one's window holds it
        Assert.Equal(early.Id, linker.Link(Row(T0.AddDays(2))).Outcome?.Id);     // both: earliest completing
        Assert.Equal(late.Id, linker.Link(Row(T0.AddDays(4))).Outcome?.Id);      // the early one completed already
        Assert.Equal(sameTimeA.Id, linker.Link(Row(T0.AddDays(1), person: "bob")).Outcome?.Id); // tie: id order
    }

    [Theory]
    [InlineData("42", null, 42L)]
    [InlineData("#7", null, 7L)]
    [InlineData("shop#9", "shop", 9L)]
    [InlineData("acme/shop#12", "acme/shop", 12L)]
    [InlineData("https://github.com/acme/shop/pull/3", "acme/shop", 3L)]
    public void PrReference_Parses(string text, string? repo, long number)
    {
        Assert.True(PrReference.TryParse(text, out var r));
        Assert.Equal((repo, number), (r.Repository, r.Number));
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("#-1")]
    [InlineData("https://github.com/acme/shop/issues/3")]
    public void PrReference_RefusesNonsense(string text) => Assert.False(PrReference.TryParse(text, out _));

    private static (string?, LinkRule) Id(LinkResult r) => (r.Outcome?.Id, r.Rule);
}
