using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using TokenOps.Gateway.PromptCache;

namespace TokenOps.Gateway.Tests.PromptCache;

/// <summary>The prompt_cache_key the gateway sets on OpenAI bodies: from the session, stable across turns, never over the client's.</summary>
public sealed class OpenAICacheKeyTests
{
    private static readonly string System = JsonSerializer.Serialize(new string('s', 2000));

    private static string? KeyOf(string body, IHeaderDictionary? headers = null)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        using var doc = JsonDocument.Parse(bytes);
        if (OpenAICacheKey.Add(bytes, doc.RootElement, headers ?? new HeaderDictionary()) is not { } patched) return null;
        var root = JsonDocument.Parse(patched).RootElement;
        // Inserted as the first member; the rest of the body is the client's, byte for byte.
        Assert.EndsWith(body[1..], Encoding.UTF8.GetString(patched));
        return root.GetProperty("prompt_cache_key").GetString();
    }

    private static string Chat(params string[] turns) =>
        $$"""{"model":"gpt-4.1","messages":[{"role":"system","content":{{System}}},{{string.Join(',', turns.Select((t, i) => $$$"""{"role":"{{{(i % 2 == 0 ? "user" : "assistant")}}}","content":"{{{t}}}"}"""))}}]}""";

    [Fact]
    public void TheOpeningGivesEveryTurnOfAConversationTheSameKey_AndAnotherConversationAnother()
    {
        var first = KeyOf(Chat("fix the bug"));
        Assert.Matches("^tokenops-[0-9a-f]{32}$", first);
        Assert.Equal(first, KeyOf(Chat("fix the bug", "done", "now add a test")));
        Assert.NotEqual(first, KeyOf(Chat("write the docs")));
    }

    [Fact]
    public void ASessionHeaderWins_AndIsNeverSentAsIs()
    {
        var headers = new HeaderDictionary { ["x-claude-code-session-id"] = "3f9c-session" };
        var key = KeyOf(Chat("fix the bug"), headers);
        Assert.Equal(OpenAICacheKey.Key("h:3f9c-session"), key);
        Assert.Equal(key, KeyOf(Chat("something else entirely"), headers));
        Assert.DoesNotContain("3f9c", key);
    }

    [Fact]
    public void TheClientsOwnKey_AShortBody_OrAResponsesChainWithoutASession_GetNone()
    {
        Assert.Null(KeyOf(Chat("hi").Replace("{\"model\"", "{\"prompt_cache_key\":\"mine\",\"model\"")));
        Assert.Null(KeyOf("""{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Null(KeyOf($$"""{"model":"gpt-5","previous_response_id":"resp_1","input":{{System}}}"""));
        Assert.NotNull(KeyOf($$"""{"model":"gpt-5","previous_response_id":"resp_1","input":{{System}}}""", new HeaderDictionary { ["X-TokenOps-Session"] = "s" }));
        Assert.Equal(OpenAICacheKey.Key("c:conv_9"), KeyOf($$"""{"model":"gpt-5","conversation":{"id":"conv_9"},"input":{{System}}}"""));
        Assert.Equal(KeyOf($$"""{"model":"gpt-5","instructions":{{System}},"input":"one"}"""), KeyOf($$"""{"model":"gpt-5","instructions":{{System}},"input":"one"}"""));
    }
}
