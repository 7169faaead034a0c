using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Import;
using TokenOps.Core.Ledger;
using TokenOps.Core.Pricing;
using TokenOps.Core.Reports;

namespace TokenOps.Storage.Import;

/// <summary>What an import did.</summary>
public sealed record ImportSummary(int Files, int FilesUnchanged, long Lines, long Added, long Duplicates, SkipCounter Skipped);

/// <summary>
/// Streams Claude Code / Codex logs into the ledger, file by file, in batches (memory does not grow with the tree).
/// Incremental: <c>import_files</c> records per file how far it was read (only past complete lines), so a second
/// import of the same tree reads nothing and a grown file is read from where the last import stopped. Row ids are
/// derived from the source (Claude: the message id; Codex: session, time and cumulative totals), and
/// <see cref="ILedgerStore.Merge"/> keeps one row per id (the one with more tokens), so no line counts twice
/// even when a state record is lost. Rows are priced with the catalog; a model it does not know is skipped and counted.
/// </summary>
public sealed class LedgerImporter(IImportSink store, IImportState progress, PriceCatalog catalog, string person, int batchSize = 5000, string? team = null)
{
    private readonly IImportSink _store = store;
    private readonly UsagePricer _pricer = new(catalog, CostMode.Calculate);

    /// <summary>
    /// Names the progress records apart from the local import's (a push to a gateway keeps its own offsets, so importing
    /// locally and pushing the same logs each see every line once).
    /// </summary>
    public string? ProgressScope { get; init; }

    public ImportSummary ImportClaude(IReadOnlyList<LogFile> files) => Import("claude-code", files, claude: true);

    public ImportSummary ImportCodex(IReadOnlyList<LogFile> files) => Import("codex", files, claude: false);

    private string ProgressKey(string source) => ProgressScope is null ? source : source + ">" + ProgressScope;

    private ImportSummary Import(string source, IReadOnlyList<LogFile> files, bool claude)
    {
        var skipped = new SkipCounter();
        var batch = new List<LedgerEntry>(batchSize);
        int unchanged = 0;
        long lines = 0, added = 0, duplicates = 0;
        var claudeParser = new ClaudeCodeLineParser(keepIds: true);
        foreach (var file in files)
        {
            FileInfo info;
            try { info = new FileInfo(file.Path); _ = info.Length; }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { skipped.Add(file.Display, 0, $"unreadable: {ex.Message}"); continue; }
            var mtime = info.LastWriteTimeUtc.ToString("O", CultureInfo.InvariantCulture);
            var state = progress.Load(ProgressKey(source), file.Path);
            if (state is { } s0 && s0.Size == info.Length && s0.Mtime == mtime && s0.Offset == info.Length) { unchanged++; continue; }
            var offset = state is { } s && s.Offset <= info.Length ? s.Offset : 0;
            var firstLine = offset == 0 ? 1 : state!.Value.Line;
            var codex = new CodexSessionParser();
            if (!claude && offset > 0 && state?.Carry is { } carry) RestoreCodex(codex, carry);
            var seen = new Dictionary<string, int>(StringComparer.Ordinal); // this file's ids -> index in batch
            IUsageLineParser parser = claude ? claudeParser : codex;
            var nextLine = firstLine;
            long end;
            try
            {
                end = JsonlReader.Read(file.Path, offset, firstLine, (line, number, endOffset, complete) =>
                {
                    lines++;
                    if (complete) nextLine = number + 1;
                    var kind = parser.Parse(line, out var e, out var error);
                    if (kind == LineKind.Invalid)
                    {
                        if (complete) skipped.Add(file.Display, number, error ?? "invalid");
                        return;
                    }
                    if (kind != LineKind.Usage) return;
                    e.Line = number;
                    e.Project ??= file.Project;
                    e.SessionId ??= file.Session;
                    if (!_pricer.TryPrice(e, out _, out error)) { if (complete) skipped.Add(file.Display, number, error!); return; }
                    var row = ToEntry(source, e, claude);
                    if (seen.TryGetValue(row.Id, out var at) && at < batch.Count && batch[at].Id == row.Id)
                    {
                        duplicates++;
                        if (row.Usage.Total > batch[at].Usage.Total) batch[at] = row;
                        return;
                    }
                    seen[row.Id] = batch.Count;
                    batch.Add(row);
                    if (batch.Count >= batchSize)
                    {
                        added += _store.Merge(batch);
                        batch.Clear();
                        seen.Clear();
                    }
                });
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                skipped.Add(file.Display, 0, $"unreadable: {ex.Message}");
                continue;
            }
            added += _store.Merge(batch);
            batch.Clear();
            progress.Save(ProgressKey(source), file.Path, info.Length, mtime, end, nextLine, claude ? null : SaveCodex(codex));
        }
        return new ImportSummary(files.Count, unchanged, lines, added, duplicates, skipped);
    }

    private LedgerEntry ToEntry(string source, in UsageEvent e, bool claude)
    {
        var usage = UsagePricer.ToTokenUsage(e);
        var price = _pricer.Lookup(e.Model)!;
        var at = DateTimeOffset.FromUnixTimeMilliseconds(e.TimestampMs);
        string id;
        if (claude)
        {
            id = e.MessageId is { } m
                ? "cc_" + Hash(m)
                : "cc_" + Hash(string.Create(CultureInfo.InvariantCulture, $"{e.SessionId}|{e.TimestampMs}|{e.RequestId}|{e.Input}|{e.Output}|{e.CacheCreation}|{e.CacheRead}"));
        }
        else
        {
            id = "cx_" + Hash(string.Create(CultureInfo.InvariantCulture, $"{e.SessionId}|{e.TimestampMs}|{e.Input}|{e.CacheRead}|{e.Output}|{e.Reasoning}"));
        }
        return new LedgerEntry
        {
            Id = id,
            StartedAt = at,
            EndedAt = at,
            Route = "import." + source,
            Person = person,
            Team = team,
            Project = e.Project,
            Provider = price.Provider,
            RequestedModel = e.Model,
            ServedModel = e.Model,
            Usage = usage,
            Cost = CostCalculator.Compute(price, usage),
            CatalogVersion = catalog.Version,
            Status = 200,
            Outcome = LedgerOutcome.Ok,
            ProviderRequestId = e.RequestId,
            Source = source,
            SessionId = e.SessionId,
            Tags = e.Fast ? "speed=fast" : e.IsSidechain ? "sidechain=true" : null,
        };
    }

    /// <summary>Deterministic id part: the first 128 bits of SHA-256, hex.</summary>
    public static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)).AsSpan(0, 16));

    private static string SaveCodex(CodexSessionParser p) => JsonSerializer.Serialize(new CodexCarry(p.Model, p.SessionId, p.Project, p.Totals.Input, p.Totals.Cached, p.Totals.Output, p.Totals.Reasoning), CarryJson.Default.CodexCarry);

    private static void RestoreCodex(CodexSessionParser p, string json)
    {
        try
        {
            var c = JsonSerializer.Deserialize(json, CarryJson.Default.CodexCarry);
            if (c is null) return;
            p.Model = c.Model; p.SessionId = c.SessionId; p.Project = c.Project;
            p.Totals = (c.Input, c.Cached, c.Output, c.Reasoning);
        }
        catch (JsonException)
        {
            // A damaged carry record only loses the model/totals context; ids still protect against double counting.
        }
    }
}

internal sealed record CodexCarry(string? Model, string? SessionId, string? Project, long Input, long Cached, long Output, long Reasoning);

[System.Text.Json.Serialization.JsonSerializable(typeof(CodexCarry))]
internal sealed partial class CarryJson : System.Text.Json.Serialization.JsonSerializerContext;
