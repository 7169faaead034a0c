using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using Anthropic.Models.Messages;
using Anthropic.Models.Messages.Batches;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Files;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Simulator;

namespace TokenOps.Gateway.Tests.Batches;

/// <summary>
/// The batch lane as the official SDKs drive it: the OpenAI .NET SDK's file and batch clients, and the Anthropic SDK's
/// message batches. Each settled line is one ledger row at the simulator's bill, to the nano-dollar.
/// </summary>
#pragma warning disable OPENAI001 // the SDK marks its batch client experimental
public sealed class BatchSdkTests
{
    private static SimulatorOptions FastBatches() => new() { BatchProcessingTime = TimeSpan.FromMilliseconds(300) };

    private static OpenAIClientOptions OpenAIOptions(GatewayFixture gateway) => new()
    {
        Endpoint = new Uri(gateway.BaseUrl, "v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = TimeSpan.FromSeconds(20),
    };

    [Fact]
    public async Task OpenAI_sdk_uploads_submits_polls_and_downloads_and_every_line_is_one_row()
    {
        await using var gateway = await GatewayFixture.StartAsync(null, FastBatches());
        var key = gateway.CreateKey("ada", "research");
        var credential = new ApiKeyCredential(key);
        var openai = new OpenAIClient(credential, OpenAIOptions(gateway));
        var files = openai.GetOpenAIFileClient();
        var batches = openai.GetBatchClient();

        var jsonl = string.Join("\n", Enumerable.Range(1, 3).Select(i =>
            $$$"""{"custom_id":"q{{{i}}}","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","max_tokens":100,"messages":[{"role":"user","content":"Grade answer {{{i}}}"}]}}""")) + "\n";
        OpenAIFile file = await files.UploadFileAsync(BinaryData.FromString(jsonl), "eval.jsonl", FileUploadPurpose.Batch);
        Assert.StartsWith("file-", file.Id);

        var create = BinaryContent.Create(BinaryData.FromString(
            $$$"""{"input_file_id":"{{{file.Id}}}","endpoint":"/v1/chat/completions","completion_window":"24h","metadata":{"job":"sdk-eval"}}"""));
        var operation = await batches.CreateBatchAsync(create, waitUntilCompleted: false);
        var batchId = operation.BatchId;

        JsonElement batch = default;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        do
        {
            await Task.Delay(100);
            var result = await batches.GetBatchAsync(batchId, new RequestOptions());
            batch = JsonDocument.Parse(result.GetRawResponse().Content.ToString()).RootElement.Clone();
        } while (batch.GetProperty("status").GetString() != "completed" && DateTime.UtcNow < deadline);
        Assert.Equal("completed", batch.GetProperty("status").GetString());

        BinaryData output = await files.DownloadFileAsync(batch.GetProperty("output_file_id").GetString()!);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal(["q1", "q2", "q3"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()).Order());

        var rows = (await gateway.LedgerAsync()).Where(r => r.BatchId == batchId).ToList();
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal((LedgerOutcome.Ok, "ada", "research", "job=sdk-eval"), (r.Outcome, r.Person, r.Team, r.Tags)));
        var bill = gateway.Bill.Entries.Where(e => e.Protocol == SimProtocols.OpenAIBatch).ToList();
        Assert.Equal(3, bill.Count);
        Assert.Equal(gateway.BilledNanos(bill), rows.Sum(r => r.CostNanos));
    }

    [Fact]
    public async Task Anthropic_sdk_creates_a_message_batch_and_streams_its_results_into_one_row_per_request()
    {
        await using var gateway = await GatewayFixture.StartAsync(null, FastBatches());
        var key = gateway.CreateKey("bea", "research");
        var client = new Anthropic.AnthropicClient(new Anthropic.Core.ClientOptions
        {
            BaseUrl = gateway.BaseUrl.ToString().TrimEnd('/'), ApiKey = key, MaxRetries = 0, Timeout = TimeSpan.FromSeconds(20),
        });

        var created = await client.Messages.Batches.Create(new BatchCreateParams
        {
            Requests =
            [
                new Request { CustomID = "a", Params = new Params { Model = "claude-haiku-4-5", MaxTokens = 100, Messages = [new UserMessageParam { Content = "Label this ticket" }] } },
                new Request { CustomID = "b", Params = new Params { Model = "claude-haiku-4-5", MaxTokens = 100, Messages = [new UserMessageParam { Content = "Label that ticket" }] } },
            ],
        });
        Assert.StartsWith("msgbatch_", created.ID);

        var deadline = DateTime.UtcNow.AddSeconds(15);
        MessageBatch batch;
        do
        {
            await Task.Delay(100);
            batch = await client.Messages.Batches.Retrieve(created.ID);
        } while (batch.ProcessingStatus.Value() != ProcessingStatus.Ended && DateTime.UtcNow < deadline);
        Assert.Equal(ProcessingStatus.Ended, batch.ProcessingStatus.Value());
        Assert.Equal(2, batch.RequestCounts.Succeeded);

        var results = new List<MessageBatchIndividualResponse>();
        await foreach (var result in client.Messages.Batches.ResultsStreaming(created.ID)) results.Add(result);
        Assert.Equal(["a", "b"], results.Select(r => r.CustomID).Order());
        Assert.All(results, r => Assert.True(r.Result.TryPickSucceeded(out _)));

        var rows = (await gateway.LedgerAsync()).Where(r => r.BatchId == created.ID).ToList();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal((LedgerOutcome.Ok, "bea", Core.Metering.ServiceTier.Batch), (r.Outcome, r.Person, r.Usage.Tier)));
        var bill = gateway.Bill.Entries.Where(e => e.Protocol == SimProtocols.AnthropicBatch).ToList();
        Assert.Equal(2, bill.Count);
        Assert.Equal(gateway.BilledNanos(bill), rows.Sum(r => r.CostNanos));
    }
}
