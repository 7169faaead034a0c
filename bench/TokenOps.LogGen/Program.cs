using System.Globalization;
using System.Text;

// tokenops-loggen --out DIR [--mb 1024] [--seed 42] [--compare]
// Writes DIR/projects/<project>/<session>.jsonl (+ <session>/subagents/agent-*.jsonl sidechains) in Claude Code's
// compact JSONL shape: user and assistant lines, long message text, streamed messages written 1-4 times (one line
// per content block, in-progress output_tokens on the early copies), sidechain replays of parent messages, some
// costUSD lines, a few corrupt (truncated) lines. --compare keeps total input per request <= 200k tokens (where
// TokenOps deliberately differs from ccusage, see README) and uses only models both price.
var opts = Args.Parse(args);
var gen = new Generator(opts);
gen.Run();
Console.WriteLine($"wrote {gen.Bytes / (1024.0 * 1024):0.0} MiB, {gen.Files} files, {gen.Lines} lines ({gen.Assistant} assistant, {gen.Unique} unique messages, {gen.Corrupt} corrupt) to {opts.Out}");

internal sealed record Args(string Out, long Bytes, int Seed, bool Compare)
{
    public static Args Parse(string[] a)
    {
        string? outDir = null; long mb = 1024; var seed = 42; var compare = false;
        for (var i = 0; i < a.Length; i++)
        {
            switch (a[i])
            {
                case "--out": outDir = a[++i]; break;
                case "--mb": mb = long.Parse(a[++i], CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(a[++i], CultureInfo.InvariantCulture); break;
                case "--compare": compare = true; break;
                default: throw new ArgumentException($"unknown argument {a[i]}");
            }
        }
        return new Args(outDir ?? throw new ArgumentException("--out DIR is required"), mb * 1024 * 1024, seed, compare);
    }
}

internal sealed class Generator(Args opts)
{
    private static readonly string[] Models =
    [
        "claude-sonnet-4-5-20250929", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5-20250929", "claude-opus-4-5-20251101",
        "claude-haiku-4-5-20251001", "claude-sonnet-4-20250514", "claude-opus-4-1-20250805", "claude-opus-4-6", "claude-sonnet-4-6",
    ];
    private static readonly string[] Words =
    [
        "the", "function", "return", "value", "async", "await", "const", "let", "file", "test", "build", "error", "fix",
        "refactor", "module", "import", "export", "class", "interface", "type", "string", "number", "array", "map", "filter",
        "reduce", "promise", "stream", "buffer", "token", "cost", "ledger", "gateway", "pricing", "cache", "read", "write",
        "über", "naïve", "日本語", "données", "{", "}", "(", ")", ";", "=>", "==", "+=", "//", "#", "->", "::", "\\n", "\\t", "\\n\\n",
    ];
    private readonly Random _rng = new(opts.Seed);
    private readonly string _pool = BuildPool(opts.Seed);
    public long Bytes, Lines, Assistant, Unique, Corrupt;
    public int Files;
    private long _sinceCorrupt;

    private static string BuildPool(int seed)
    {
        var r = new Random(seed ^ 0x5A5A);
        var sb = new StringBuilder(1 << 21);
        while (sb.Length < (1 << 21)) sb.Append(Words[r.Next(Words.Length)]).Append(' ');
        return sb.ToString();
    }

    public void Run()
    {
        var root = Path.Combine(opts.Out, "projects");
        Directory.CreateDirectory(root);
        var projects = Enumerable.Range(0, opts.Compare ? 4 : 16).Select(i => $"-home-dev-src-project{i:00}").ToArray();
        var start = new DateTime(2026, 9, 1, 0, 0, 0, DateTimeKind.Utc);
        var session = 0;
        while (Bytes < opts.Bytes)
        {
            var project = projects[_rng.Next(projects.Length)];
            var sessionId = Guid(_rng);
            var dir = Path.Combine(root, project);
            Directory.CreateDirectory(dir);
            var t = start.AddMinutes(_rng.Next(0, 80 * 24 * 60)).AddMilliseconds(_rng.Next(1000));
            var turns = opts.Compare ? _rng.Next(5, 40) : _rng.Next(20, 300);
            var withCost = _rng.Next(10) == 0;
            var parents = new List<(string Msg, string Model, string Usage)>();
            using (var w = Open(Path.Combine(dir, sessionId + ".jsonl")))
            {
                t = WriteSession(w, sessionId, project, t, turns, withCost, sidechain: false, parents, replay: null);
            }
            if (_rng.Next(20) == 0)
            {
                var sub = Path.Combine(dir, sessionId, "subagents");
                Directory.CreateDirectory(sub);
                using var w = Open(Path.Combine(sub, $"agent-{Guid(_rng)[..8]}.jsonl"));
                WriteSession(w, sessionId, project, t.AddMinutes(-5), Math.Max(3, turns / 4), withCost, sidechain: true, [], replay: parents);
            }
            session++;
        }
    }

    private StreamWriter Open(string path)
    {
        Files++;
        return new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
    }

    private DateTime WriteSession(StreamWriter w, string sessionId, string project, DateTime t, int turns, bool withCost, bool sidechain,
        List<(string Msg, string Model, string Usage)> parents, List<(string Msg, string Model, string Usage)>? replay)
    {
        var model = Models[_rng.Next(Models.Length)];
        var cwd = project.Replace('-', '/');
        var parent = "null";
        var side = sidechain ? "true" : "false";
        for (var turn = 0; turn < turns && Bytes < opts.Bytes; turn++)
        {
            var uuid = Guid(_rng);
            Write(w, $"{{\"parentUuid\":{parent},\"isSidechain\":{side},\"userType\":\"external\",\"cwd\":\"{cwd}\",\"sessionId\":\"{sessionId}\",\"version\":\"2.1.97\",\"gitBranch\":\"main\",\"type\":\"user\",\"message\":{{\"role\":\"user\",\"content\":\"{Text(100, 3000)}\"}},\"uuid\":\"{uuid}\",\"timestamp\":\"{Ts(t)}\"}}");
            parent = $"\"{uuid}\"";
            t = t.AddMilliseconds(_rng.Next(1500, 20000));
            if (_rng.Next(12) == 0) model = Models[_rng.Next(Models.Length)];
            string msg, usage, turnModel = model;
            if (replay is { Count: > 0 } && _rng.Next(3) == 0)
            {
                (msg, turnModel, usage) = replay[_rng.Next(replay.Count)]; // a sidechain replay of a parent message: same id, new request id
            }
            else
            {
                msg = "msg_01" + Guid(_rng).Replace("-", "")[..22];
                usage = Usage();
                Unique++;
                if (!sidechain) parents.Add((msg, turnModel, usage));
            }
            if (!opts.Compare && _rng.Next(20000) == 0) turnModel = "claude-experimental-x";
            var req = "req_011C" + Guid(_rng).Replace("-", "")[..20];
            var copies = _rng.Next(1, 5);
            var cost = withCost ? string.Create(CultureInfo.InvariantCulture, $"\"costUSD\":{_rng.NextDouble() * 0.2:0.000000},") : "";
            for (var c = 0; c < copies; c++)
            {
                var final = c == copies - 1;
                var u = final ? usage : usage[..usage.LastIndexOf("\"output_tokens\":", StringComparison.Ordinal)] + "\"output_tokens\":" + _rng.Next(1, 30) + ",\"service_tier\":\"standard\"}";
                var content = _rng.Next(3) == 0
                    ? $"[{{\"type\":\"tool_use\",\"id\":\"toolu_{Guid(_rng)[..12]}\",\"name\":\"Edit\",\"input\":{{\"file_path\":\"/src/a.cs\",\"new_string\":\"{Text(200, 4000)}\"}}}}]"
                    : $"[{{\"type\":\"text\",\"text\":\"{Text(100, 6000)}\"}}]";
                var line = $"{{\"parentUuid\":{parent},\"isSidechain\":{side},\"userType\":\"external\",\"cwd\":\"{cwd}\",\"sessionId\":\"{sessionId}\",\"version\":\"2.1.97\",\"gitBranch\":\"main\",{cost}\"message\":{{\"id\":\"{msg}\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"{turnModel}\",\"content\":{content},\"stop_reason\":{(final ? "\"end_turn\"" : "null")},\"stop_sequence\":null,\"usage\":{u}}},\"requestId\":\"{req}\",\"type\":\"assistant\",\"uuid\":\"{Guid(_rng)}\",\"timestamp\":\"{Ts(t)}\"}}";
                if (++_sinceCorrupt > (opts.Compare ? 3000 : 60000) && c == 0 && copies > 1)
                {
                    line = line[..(line.Length / 2)]; // truncated by a crash: skipped and counted
                    _sinceCorrupt = 0;
                    Corrupt++;
                }
                Write(w, line);
                Assistant++;
                t = t.AddMilliseconds(_rng.Next(50, 900));
            }
            if (_rng.Next(3) == 0)
            {
                Write(w, $"{{\"parentUuid\":{parent},\"isSidechain\":{side},\"userType\":\"external\",\"cwd\":\"{cwd}\",\"sessionId\":\"{sessionId}\",\"version\":\"2.1.97\",\"type\":\"user\",\"message\":{{\"role\":\"user\",\"content\":[{{\"tool_use_id\":\"toolu_{Guid(_rng)[..12]}\",\"type\":\"tool_result\",\"content\":\"{Text(500, 12000)}\"}}]}},\"uuid\":\"{Guid(_rng)}\",\"timestamp\":\"{Ts(t)}\"}}");
            }
            t = t.AddMilliseconds(_rng.Next(2000, _rng.Next(10) == 0 ? 3_600_000 : 120_000));
        }
        return t;
    }

    private string Usage()
    {
        var cacheRead = _rng.Next(4) == 0 ? 0 : _rng.Next(5_000, 150_000);
        var cacheCreation = _rng.Next(3) == 0 ? 0 : _rng.Next(100, 30_000);
        var input = _rng.Next(1, 40);
        if (!opts.Compare && _rng.Next(400) == 0) cacheRead = _rng.Next(150_000, 700_000); // long-context requests
        var oneHour = _rng.Next(5) == 0 ? _rng.Next(0, cacheCreation + 1) : 0;
        var output = _rng.Next(1, 8_000);
        return $"{{\"input_tokens\":{input},\"cache_creation_input_tokens\":{cacheCreation},\"cache_read_input_tokens\":{cacheRead},\"cache_creation\":{{\"ephemeral_5m_input_tokens\":{cacheCreation - oneHour},\"ephemeral_1h_input_tokens\":{oneHour}}},\"output_tokens\":{output},\"service_tier\":\"standard\"}}";
    }

    private string Text(int min, int max)
    {
        var length = _rng.Next(min, max);
        var start = _rng.Next(0, _pool.Length - length - 1);
        var s = _pool.AsSpan(start, length);
        while (s.Length > 0 && s[^1] == '\\') s = s[..^1];
        return s.ToString();
    }

    private void Write(StreamWriter w, string line)
    {
        w.Write(line);
        w.Write('\n');
        Bytes += Encoding.UTF8.GetByteCount(line) + 1;
        Lines++;
    }

    private static string Ts(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Guid(Random r)
    {
        Span<byte> b = stackalloc byte[16];
        r.NextBytes(b);
        return new System.Guid(b).ToString();
    }
}
