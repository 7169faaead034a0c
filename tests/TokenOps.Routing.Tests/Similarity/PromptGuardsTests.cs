using TokenOps.Routing.Similarity;
using Xunit;

namespace TokenOps.Routing.Tests.Similarity;

public sealed class PromptGuardsTests
{
    private static bool Agree(string a, string b) => PromptGuards.Of(a).Hash == PromptGuards.Of(b).Hash;

    [Theory]
    [InlineData("turn on dark mode", "turn off dark mode")]
    [InlineData("Please enable the nightly backup job", "Please disable the nightly backup job")]
    [InlineData("Why is the printer working?", "Why isn't the printer working?")]
    [InlineData("Archive tickets with attachments", "Archive tickets without attachments")]
    [InlineData("Start the staging workers", "Stop the staging workers")]
    public void Polarity_must_agree(string a, string b) => Assert.False(Agree(a, b));

    [Theory]
    [InlineData("refund order 1234", "refund order 1235")]
    [InlineData("Give me three examples of a haiku", "Give me five examples of a haiku")]
    [InlineData("Set the limit to 1.5", "Set the limit to 2.5")]
    public void Numbers_must_agree(string a, string b) => Assert.False(Agree(a, b));

    [Theory]
    [InlineData("How far is 5 km?", "How far is 5 miles?")]
    [InlineData("Reserve 10GB for the volume", "Reserve 10MB for the volume")]
    [InlineData("Is $40 a fair price?", "Is 40 euros a fair price?")]
    public void Units_must_agree(string a, string b) => Assert.False(Agree(a, b));

    [Fact]
    public void The_same_quantity_written_two_ways_agrees()
    {
        Assert.Equal(PromptGuards.Of("Walk 5 kilometres").Numbers, PromptGuards.Of("walk 5km").Numbers);
        Assert.Equal(PromptGuards.Of("a budget of $1,000").Numbers, PromptGuards.Of("a budget of 1000 dollars").Numbers);
    }

    [Theory]
    [InlineData("What is the weather in Paris?", "What is the weather in Berlin?")]
    [InlineData("Ping ops@acme.io about the outage", "Ping dev@acme.io about the outage")]
    [InlineData("Why does fetchInvoice throw?", "Why does fetchReceipt throw?")]
    [InlineData("Translate \"see you soon\" to Italian", "Translate \"see you later\" to Italian")]
    [InlineData("Is the db-07 host healthy?", "Is the db-08 host healthy?")]
    public void Names_and_identifiers_must_agree(string a, string b) => Assert.False(Agree(a, b));

    [Theory]
    [InlineData("How do I reset my password?", "Comment réinitialiser mon mot de passe ?", "en", "fr")]
    [InlineData("Where is the train station?", "Wo ist der Bahnhof, bitte?", "en", "de")]
    [InlineData("What is your refund policy?", "¿Cuál es su política de reembolso?", "en", "es")]
    [InlineData("Thanks for the help", "Спасибо за помощь", "en", "cyrl")]
    public void The_language_must_agree(string a, string b, string languageA, string languageB)
    {
        Assert.Equal(languageA, PromptGuards.Of(a).Language);
        Assert.Equal(languageB, PromptGuards.Of(b).Language);
        Assert.False(Agree(a, b));
    }

    [Theory]
    [InlineData("How do I turn on dark mode?", "how can I turn on dark mode")]
    [InlineData("What's the best way to archive old Slack channels?", "How do I archive old Slack channels?")]
    [InlineData("Can you explain what a bloom filter is?", "Explain what a bloom filter is.")]
    public void Rewordings_around_the_same_terms_agree(string a, string b) => Assert.True(Agree(a, b), $"{PromptGuards.Of(a).Canonical} vs {PromptGuards.Of(b).Canonical}");

    [Fact]
    public void The_hash_is_stable_across_runs()
    {
        // FNV-1a 64 of the canonical form: the same on every machine and process, so entries can be persisted.
        var guards = PromptGuards.Of("turn on dark mode");
        Assert.Equal(PromptGuards.Fnv1a64(guards.Canonical), guards.Hash);
        Assert.Equal(0xcbf29ce484222325UL, PromptGuards.Fnv1a64(""));
    }
}
