using System.Text.Json;
using TokenOps.Routing.Similarity;
using Xunit;

namespace TokenOps.Routing.Tests.Similarity;

public sealed class SemanticIndexTests
{
    private static SemanticQuery Q(string user, string? system = null) => SemanticQuery.FromText(system, user, "gpt-4o-mini");

    [Fact]
    public void A_paraphrase_finds_the_entry_and_a_negation_does_not()
    {
        var index = SemanticIndex.ForDefaultVectors();
        index.Add("t1", Q("How do I turn on dark mode in the mobile app?"), "entry-1");
        var hit = index.Find("t1", Q("how can I turn on dark mode in the mobile app"), SemanticQuery.DefaultThreshold);
        Assert.NotNull(hit);
        Assert.Equal("entry-1", hit.EntryKey);
        Assert.InRange(hit.Similarity, SemanticQuery.DefaultThreshold, 1.0001f);
        Assert.Null(index.Find("t1", Q("How do I turn off dark mode in the mobile app?"), SemanticQuery.DefaultThreshold));
    }

    [Fact]
    public void Tenants_and_system_prompts_are_kept_apart()
    {
        var index = SemanticIndex.ForDefaultVectors();
        index.Add("t1", Q("What is a bloom filter?", "You are terse."), "entry-1");
        Assert.Null(index.Find("t2", Q("What is a bloom filter?", "You are terse."), 0.5f));
        Assert.Null(index.Find("t1", Q("What is a bloom filter?", "You are verbose."), 0.5f));
        Assert.NotNull(index.Find("t1", Q("What is a bloom filter?", "You are terse."), 0.99f));
    }

    [Fact]
    public void The_oldest_entries_are_evicted_past_the_bound()
    {
        var index = new SemanticIndex(4, maxEntriesPerTenant: 3);
        float[] v = [1, 0, 0, 0];
        for (var i = 0; i < 5; i++) index.Add("t", 1, 2, v, $"e{i}");
        Assert.Equal(3, index.Count("t"));
        Assert.Null(index.Find("t", 1, 3, v, 0.5f));
        var hit = index.Find("t", 1, 2, v, 0.5f);
        Assert.NotNull(hit);
        Assert.Contains(hit.EntryKey, new[] { "e2", "e3", "e4" });
        index.Add("t", 1, 2, v, "e4"); // the same key again replaces, it does not grow
        Assert.Equal(3, index.Count("t"));
    }

    [Fact]
    public void The_best_match_wins_and_the_threshold_holds()
    {
        var index = new SemanticIndex(2);
        index.Add("t", 1, 1, [1, 0], "x");
        index.Add("t", 1, 1, [0.6f, 0.8f], "y");
        Assert.Equal("y", index.Find("t", 1, 1, [0.5f, 0.866f], 0.5f)!.EntryKey);
        Assert.Null(index.Find("t", 1, 1, [-1, 0], 0.1f));
    }

    [Fact]
    public void Concurrent_adds_and_finds_stay_consistent()
    {
        var index = new SemanticIndex(8, maxEntriesPerTenant: 1_000);
        Parallel.For(0, 8, worker =>
        {
            var v = new float[8];
            v[worker] = 1;
            for (var i = 0; i < 2_000; i++)
            {
                index.Add("t", (ulong)(i % 7), 0, v, $"w{worker}-{i}");
                index.Find("t", (ulong)(i % 7), 0, v, 0.9f);
            }
        });
        Assert.Equal(1_000, index.Count("t"));
    }

    [Theory]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is DNS?"}]}""", null)]
    [InlineData("""{"model":"claude-sonnet-4","system":"Be brief.","max_tokens":100,"messages":[{"role":"user","content":[{"type":"text","text":"What is DNS?"}]}]}""", null)]
    [InlineData("""{"model":"gpt-4o","instructions":"Be brief.","input":"What is DNS?"}""", null)]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},{"role":"user","content":"What is DNS?"}]}""", "assistant")]
    [InlineData("""{"model":"gpt-4o","tools":[{"type":"function","function":{"name":"f"}}],"messages":[{"role":"user","content":"What is DNS?"}]}""", "tools")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}""", "non-text")]
    [InlineData("""{"model":"gpt-4o","previous_response_id":"resp_1","input":"And then?"}""", "previous_response_id")]
    [InlineData("""{"model":"gpt-4o","messages":[]}""", "no user turn")]
    public void Eligibility_is_read_from_each_protocol(string body, string? reason)
    {
        using var doc = JsonDocument.Parse(body);
        var query = SemanticQuery.From(doc.RootElement);
        if (reason is null)
        {
            Assert.True(query.IsEligible, query.Reason);
            Assert.Equal(SentenceVectors.Default.Dimensions, query.Vector.Length);
        }
        else
        {
            Assert.False(query.IsEligible);
            Assert.Contains(reason, query.Reason);
        }
    }

    [Fact]
    public void The_same_question_over_chat_and_responses_shares_a_bucket_but_not_across_models()
    {
        using var chat = JsonDocument.Parse("""{"model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is DNS?"}]}""");
        using var responses = JsonDocument.Parse("""{"model":"gpt-4o","instructions":"Be brief.","input":"What is DNS?"}""");
        using var other = JsonDocument.Parse("""{"model":"gpt-4o-mini","instructions":"Be brief.","input":"What is DNS?"}""");
        var a = SemanticQuery.From(chat.RootElement);
        var b = SemanticQuery.From(responses.RootElement);
        Assert.Equal(a.ContextHash, b.ContextHash);
        Assert.Equal(a.GuardHash, b.GuardHash);
        Assert.NotEqual(a.ContextHash, SemanticQuery.From(other.RootElement).ContextHash);
    }
}
