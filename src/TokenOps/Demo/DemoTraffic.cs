using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace TokenOps.Cli.Demo;

/// <summary>
/// Drives the organisation's weeks of work through the gateway over real HTTP: each workday is split into hourly
/// slots, the clock jumps to the slot, and that slot's requests go out concurrently. Bodies are what real tools
/// send (chat, responses, messages with prompt caching, embeddings; streamed or not).
/// </summary>
internal sealed class DemoTraffic(HttpClient http, DemoClock clock, IReadOnlyDictionary<string, string> keys, int concurrency = 16)
{
    private static readonly string[] Vocabulary =
        ("refactor the payment retry handler so that idempotency keys survive a restart and add tests for the ledger " +
         "migration explain why the integration test is flaky when the queue is slow summarise this incident timeline " +
         "draft release notes for the checkout service compare two index strategies for search latency under load").Split(' ');

    private int _sent, _failed, _refused, _degraded, _cached;

    public int Sent => _sent;
    /// <summary>Responses that were neither 2xx nor a budget refusal.</summary>
    public int Failed => _failed;
    /// <summary>HTTP 402: a hard budget could not cover the request. Expected in the demo, not an error.</summary>
    public int Refused => _refused;
    /// <summary>Served by a cheaper model because a soft budget with the degrade action was past its limit.</summary>
    public int Degraded => _degraded;

    /// <summary>Answered by the response cache (X-TokenOps-Cache: hit or semantic).</summary>
    public int Cached => _cached;

    /// <summary>Called after each simulated workday's last requests, with the clock still on that day.</summary>
    public Func<DateTimeOffset, CancellationToken, Task>? DayEnded { get; init; }

    public async Task RunAsync(DateTimeOffset firstDay, int days, CancellationToken cancellationToken)
    {
        var random = new Random(42);
        using var gate = new SemaphoreSlim(concurrency);
        for (var d = 0; d < days; d++)
        {
            var day = firstDay.AddDays(d);
            if (day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday) continue;
            for (var hour = 9; hour < 17; hour++)
            {
                clock.JumpTo(day.AddHours(hour).AddMinutes(random.Next(0, 50)));
                var batch = new List<Task>();
                foreach (var habit in DemoOrganisation.People)
                {
                    // Spread each person's daily requests over the eight working hours, with some day-to-day variation.
                    var perHour = habit.RequestsPerDay / 8.0 * (0.6 + random.NextDouble() * 0.8);
                    var count = (int)perHour + (random.NextDouble() < perHour - (int)perHour ? 1 : 0);
                    for (var i = 0; i < count; i++)
                    {
                        var request = Build(habit, random);
                        await gate.WaitAsync(cancellationToken);
                        batch.Add(SendAsync(request, gate, cancellationToken));
                    }
                }
                await Task.WhenAll(batch);
                if (hour == 11) await ReRollAsync(random, gate, cancellationToken);
                if (hour == 14) await PasteFilesAsync(random, gate, cancellationToken);
            }
            if (DayEnded is { } dayEnded) await dayEnded(day, cancellationToken);
        }
    }

    /// <summary>
    /// The re-roller: once a day the first chat developer sends the same question three times within minutes, rewording
    /// nothing (retry-by-vibes in `tokenops waste`).
    /// </summary>
    private async Task ReRollAsync(Random random, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        if (DemoOrganisation.People.FirstOrDefault(p => p.Api == "chat" && p.Questions is null) is not { } habit) return;
        var prompt = "Why does this handler throw on an empty cart? " + Words(random, 40);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            clock.JumpTo(clock.GetUtcNow().AddMinutes(1));
            var request = Build(habit, random, prompt + new string('?', attempt + 1));
            await gate.WaitAsync(cancellationToken);
            await SendAsync(request, gate, cancellationToken);
        }
    }

    /// <summary>The paster: twice each afternoon the second chat developer pastes whole files, twenty times their usual prompt (context-stuffing).</summary>
    private async Task PasteFilesAsync(Random random, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        if (DemoOrganisation.People.Where(p => p.Api == "chat" && p.Questions is null).Skip(1).FirstOrDefault() is not { } habit) return;
        for (var i = 0; i < 2; i++)
        {
            clock.JumpTo(clock.GetUtcNow().AddMinutes(3));
            var request = Build(habit, random, "Here are the files, what is wrong? " + Words(random, habit.PromptWords * 20));
            await gate.WaitAsync(cancellationToken);
            await SendAsync(request, gate, cancellationToken);
        }
    }

    private async Task SendAsync(HttpRequestMessage request, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            // Read to the end, as a real client would (streams included).
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await body.CopyToAsync(Stream.Null, cancellationToken);
            Interlocked.Increment(ref _sent);
            if ((int)response.StatusCode == 402) Interlocked.Increment(ref _refused);
            else if (!response.IsSuccessStatusCode) Interlocked.Increment(ref _failed);
            if (response.Headers.Contains("X-TokenOps-Budget-Degraded")) Interlocked.Increment(ref _degraded);
            if (response.Headers.TryGetValues("X-TokenOps-Cache", out var cache) && cache.First() is "hit" or "semantic") Interlocked.Increment(ref _cached);
        }
        finally
        {
            request.Dispose();
            gate.Release();
        }
    }

    private HttpRequestMessage Build(Habit habit, Random random, string? fixedPrompt = null)
    {
        var model = habit.Models[random.Next(habit.Models.Length)];
        var stream = random.NextDouble() < habit.StreamShare;
        var prompt = fixedPrompt ?? (habit.Questions is { } questions
            ? questions[random.Next(questions.Length)]
            : Words(random, (int)(habit.PromptWords * (0.5 + random.NextDouble()))));
        object body = habit.Api switch
        {
            "chat" => new Dictionary<string, object>
            {
                ["model"] = model, ["stream"] = stream, ["max_tokens"] = habit.MaxTokens, ["temperature"] = habit.Questions is null ? 0.7 : 0,
                ["messages"] = new object[] { new { role = "system", content = habit.Questions is null ? "You are a careful senior engineer." : "You are the helpdesk assistant." }, new { role = "user", content = prompt } },
            },
            "responses" => new Dictionary<string, object> { ["model"] = model, ["stream"] = stream, ["max_output_tokens"] = habit.MaxTokens, ["input"] = prompt },
            "embeddings" => new Dictionary<string, object> { ["model"] = model, ["input"] = Enumerable.Range(0, 4).Select(_ => Words(random, habit.PromptWords / 4)).ToArray() },
            _ => Messages(habit, model, stream, prompt),
        };
        var path = habit.Api switch { "chat" => "v1/chat/completions", "responses" => "v1/responses", "embeddings" => "v1/embeddings", _ => "v1/messages" };
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        if (habit.Api == "messages")
        {
            request.Headers.Add("x-api-key", keys[habit.Person]);
            request.Headers.Add("anthropic-version", "2023-06-01");
        }
        else
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", keys[habit.Person]);
        }
        request.Headers.Add("X-TokenOps-Project", habit.Project);
        request.Headers.Add("X-TokenOps-Feature", habit.Api == "embeddings" ? "indexing" : "assistant");
        if (random.NextDouble() < 0.3) request.Headers.Add("X-TokenOps-Ticket", $"{habit.Team.ToUpperInvariant()}-{random.Next(100, 999)}");
        return request;
    }

    private static Dictionary<string, object> Messages(Habit habit, string model, bool stream, string prompt)
    {
        var body = new Dictionary<string, object>
        {
            ["model"] = model, ["stream"] = stream, ["max_tokens"] = habit.MaxTokens,
            ["messages"] = new object[] { new { role = "user", content = prompt } },
        };
        if (habit.PromptCaching)
        {
            // Agents resend a long, stable context: mark it cacheable, as Claude Code does.
            body["system"] = new object[]
            {
                new Dictionary<string, object>
                {
                    ["type"] = "text", ["text"] = string.Concat(Enumerable.Repeat("Repository guide: follow the style guide, keep changes small, write tests. ", 60)),
                    ["cache_control"] = new { type = "ephemeral" },
                },
            };
        }
        else if (habit.StableSystemUnmarked)
        {
            // The same long context on every request, with no cache_control: prompt-cache help (on for her team) marks it.
            body["system"] = string.Concat(Enumerable.Repeat("Experiment handbook: state the hypothesis, the metric, the guardrails and the sample size before reading results. ", 100));
        }
        return body;
    }

    private static string Words(Random random, int count)
    {
        var sb = new StringBuilder(count * 7);
        for (var i = 0; i < Math.Max(1, count); i++) sb.Append(Vocabulary[random.Next(Vocabulary.Length)]).Append(' ');
        return sb.ToString();
    }
}
