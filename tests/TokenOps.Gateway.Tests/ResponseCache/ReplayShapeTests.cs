using System.ClientModel;
using System.Text;
using Anthropic;
using Anthropic.Models.Messages;
using OpenAI.Chat;
using OpenAI.Responses;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.ResponseCache;

/// <summary>
/// A hit answers in the way the client asked, whichever way the answer was stored: the official OpenAI and Anthropic
/// SDKs read a streamed replay of a JSON answer, and a JSON replay of a streamed one, as they read the provider's own
/// (same text, same usage, same finish), and the provider is asked once.
/// </summary>
public sealed class ReplayShapeTests : IAsyncLifetime
{
    private readonly SharedGateway _shared = new();
    private GatewayFixture Gateway => _shared.Gateway;

    public Task InitializeAsync() => _shared.InitializeAsync(o => o.Cache.Exact = new ExactCacheOptions { Enabled = true });

    public Task DisposeAsync() => _shared.DisposeAsync();

    private async Task<(string Text, ChatTokenUsage? Usage, ChatFinishReason? Finish, string? Id)> StreamChatAsync(ChatClient chat, string prompt)
    {
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        string? id = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage(prompt)]))
        {
            id ??= update.CompletionId;
            usage ??= update.Usage;
            finish ??= update.FinishReason;
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
        }
        return (text.ToString(), usage, finish, id);
    }

    [Fact]
    public async Task Chat_a_json_answer_replays_as_a_stream_with_its_usage_chunk()
    {
        var key = Gateway.CreateKey("ola", "shapes");
        var chat = _shared.Chat("gpt-4o-mini", key);
        ChatCompletion stored = await chat.CompleteChatAsync([new UserChatMessage("json then stream")]);
        var billed = Gateway.Bill.Entries.Count;
        var replay = await StreamChatAsync(chat, "json then stream");

        Assert.Equal(billed, Gateway.Bill.Entries.Count);
        Assert.Equal(stored.Content[0].Text, replay.Text);
        Assert.Equal(stored.Id, replay.Id);
        Assert.Equal(stored.FinishReason, replay.Finish);
        Assert.NotNull(replay.Usage);
        Assert.Equal((stored.Usage.InputTokenCount, stored.Usage.OutputTokenCount), (replay.Usage!.InputTokenCount, replay.Usage.OutputTokenCount));
        var row = (await Gateway.LedgerAsync()).Single(r => r.Person == "ola" && r.CacheHit is not null);
        Assert.True(row.Streamed);
    }

    [Fact]
    public async Task Chat_a_streamed_answer_replays_as_json_and_as_a_stream()
    {
        var key = Gateway.CreateKey("pia", "shapes");
        var chat = _shared.Chat("gpt-4o-mini", key);
        var streamed = await StreamChatAsync(chat, "stream then json");
        var billed = Gateway.Bill.Entries.Count;
        var json = await chat.CompleteChatAsync([new UserChatMessage("stream then json")]);
        var again = await StreamChatAsync(chat, "stream then json");

        Assert.Equal(billed, Gateway.Bill.Entries.Count);
        Assert.Equal("hit", json.GetRawResponse().Headers.TryGetValue("X-TokenOps-Cache", out var h) ? h : null);
        Assert.Equal(streamed.Text, json.Value.Content[0].Text);
        Assert.Equal(streamed.Usage!.OutputTokenCount, json.Value.Usage.OutputTokenCount);
        Assert.Equal(streamed.Finish, json.Value.FinishReason);
        Assert.Equal(streamed.Text, again.Text);
    }

    private static MessageCreateParams Ask(string text) => new()
    {
        Model = "claude-haiku-4-5",
        MaxTokens = 256,
        Messages = [new UserMessageParam { Content = text }],
    };

    [Fact]
    public async Task Anthropic_json_and_stream_replay_each_other()
    {
        using var client = _shared.Anthropic(Gateway.CreateKey("quin", "shapes"));
        var stored = await client.Messages.Create(Ask("anthropic json first"));
        var billed = Gateway.Bill.Entries.Count;
        var replayed = await client.Messages.CreateStreaming(Ask("anthropic json first")).Aggregate();
        Assert.Equal(Text(stored), Text(replayed));
        Assert.Equal((stored.ID, stored.StopReason, stored.Usage.InputTokens, stored.Usage.OutputTokens),
            (replayed.ID, replayed.StopReason, replayed.Usage.InputTokens, replayed.Usage.OutputTokens));

        var streamed = await client.Messages.CreateStreaming(Ask("anthropic stream first")).Aggregate();
        var asJson = await client.Messages.Create(Ask("anthropic stream first"));
        Assert.Equal(Text(streamed), Text(asJson));
        Assert.Equal((streamed.ID, streamed.StopReason, streamed.Usage.OutputTokens), (asJson.ID, asJson.StopReason, asJson.Usage.OutputTokens));
        Assert.Equal(billed + 1, Gateway.Bill.Entries.Count);
    }

    private static string Text(Message m) => string.Concat(m.Content.Select(b => b.TryPickText(out var t) ? t.Text : ""));

    [Fact]
    public async Task Responses_json_and_stream_replay_each_other()
    {
        var client = _shared.Responses(Gateway.CreateKey("rui", "shapes"));
        CreateResponseOptions Question(string text, bool stream) => new CreateResponseOptions("gpt-4.1-mini", [ResponseItem.CreateUserMessageItem(text)])
        {
            StreamingEnabled = stream ? true : null, Instructions = "Answer briefly.",
        };

        ResponseResult stored = await client.CreateResponseAsync(Question("responses json first", false));
        var billed = Gateway.Bill.Entries.Count;
        var (replayed, deltas) = await StreamAsync(client, Question("responses json first", true));
        Assert.Equal(stored.GetOutputText(), replayed!.GetOutputText());
        Assert.Equal(stored.GetOutputText(), deltas);
        Assert.Equal((stored.Id, stored.Usage.OutputTokenCount), (replayed.Id, replayed.Usage.OutputTokenCount));

        var (streamed, _) = await StreamAsync(client, Question("responses stream first", true));
        ResponseResult asJson = await client.CreateResponseAsync(Question("responses stream first", false));
        Assert.Equal(streamed!.GetOutputText(), asJson.GetOutputText());
        Assert.Equal(streamed.Id, asJson.Id);
        Assert.Equal(billed + 1, Gateway.Bill.Entries.Count);
    }

    [Fact]
    public async Task The_stored_answer_holds_no_prompt_text_and_a_replay_echoes_the_askers_own_instructions()
    {
        var key = Gateway.CreateKey("sol", "shapes");
        const string Secret = "secret-instructions-7f3a";
        var body = $$"""{"model":"gpt-4.1-mini","instructions":"{{Secret}}","input":"secret-prompt-91c2"}""";
        Assert.Equal("miss", (await CacheHttp.PostAsync(Gateway, key, "/v1/responses", body)).Cache);
        var hit = await CacheHttp.PostAsync(Gateway, key, "/v1/responses", body);
        Assert.Equal("hit", hit.Cache);
        Assert.Equal(Secret, System.Text.Json.JsonDocument.Parse(hit.Body).RootElement.GetProperty("instructions").GetString());

        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + TokenOps.Storage.Sqlite.SqliteDatabase.FileIn(Gateway.DataDirectory));
        await connection.OpenAsync();
        using var query = connection.CreateCommand();
        query.CommandText = "SELECT answer FROM response_cache";
        var answers = new List<string>();
        using (var reader = await query.ExecuteReaderAsync())
            while (await reader.ReadAsync()) answers.Add(reader.GetString(0));
        Assert.NotEmpty(answers);
        Assert.DoesNotContain(answers, a => a.Contains(Secret, StringComparison.Ordinal) || a.Contains("secret-prompt-91c2", StringComparison.Ordinal));
    }

    private static async Task<(ResponseResult? Completed, string Deltas)> StreamAsync(ResponsesClient client, CreateResponseOptions options)
    {
        ResponseResult? completed = null;
        var deltas = new StringBuilder();
        await foreach (var update in await client.CreateResponseStreamingAsync(options))
        {
            if (update is StreamingResponseOutputTextDeltaUpdate delta) deltas.Append(delta.Delta);
            if (update is StreamingResponseCompletedUpdate done) completed = done.Response;
        }
        return (completed, deltas.ToString());
    }
}
