using System.Text.Json;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Pricing;

/// <summary>`tokenops prices update|show` as a user runs them: the diff against the catalog in force, versions kept, bad catalogs refused.</summary>
public sealed class PricesCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-prices", Guid.NewGuid().ToString("N"));
    private string Data => Path.Combine(_dir, "data");
    private string PricesDir => Path.Combine(Data, "prices");

    private string[] StoredVersions() => Directory.Exists(PricesDir)
        ? [.. Directory.GetFiles(PricesDir, "sha256-*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal)!]
        : [];

    private string? Pointer() => File.Exists(Path.Combine(PricesDir, "current.json")) ? File.ReadAllText(Path.Combine(PricesDir, "current.json")) : null;

    [Fact]
    public async Task Update_from_a_file_prints_what_changed_and_keeps_every_version()
    {
        var updated = CatalogFiles.Updated();
        var file = CatalogFiles.Write(_dir, "litellm.json", updated);
        var version = CatalogFiles.Version(updated);

        var (code, stdout, stderr) = await CliProcess.RunAsync("prices", "update", "--from", file, "--data", Data);
        Assert.True(code == 0, stderr);
        Assert.Contains($"In force: {CatalogFiles.Version(BundledCatalog.Bytes)}", stdout);
        Assert.Contains("bundled with this build", stdout);
        Assert.Contains($"New:      {version}", stdout);
        Assert.Contains("Changes: 1 models added, 1 removed, 1 prices changed in 1 models ($ per million tokens)", stdout);
        Assert.Contains($"  + {CatalogFiles.NewModel}  input $4  output $20", stdout);
        Assert.Contains("  - gpt-4-0613", stdout);
        Assert.Contains("  ~ gpt-4o-mini  output  $0.6 -> $0.9", stdout);
        Assert.Equal([version.Replace(':', '-') + ".json"], StoredVersions());
        Assert.Equal(updated, File.ReadAllBytes(Path.Combine(PricesDir, version.Replace(':', '-') + ".json")));
        using (var pointer = JsonDocument.Parse(Pointer()!))
            Assert.Equal((version, file), (pointer.RootElement.GetProperty("version").GetString(), pointer.RootElement.GetProperty("source").GetString()));

        // The same catalog again: nothing to do. Back to the bundled bytes: a second version, the first kept for its rows.
        (code, stdout, _) = await CliProcess.RunAsync("prices", "update", "--from", file, "--data", Data);
        Assert.Equal(0, code);
        Assert.Contains("No change: this catalog is already in force.", stdout);
        var bundled = CatalogFiles.Write(_dir, "bundled.json", BundledCatalog.Bytes);
        (code, stdout, _) = await CliProcess.RunAsync("prices", "update", "--from", bundled, "--data", Data);
        Assert.Equal(0, code);
        Assert.Contains($"In force: {version}", stdout);
        Assert.Contains("Changes: 1 models added, 1 removed, 1 prices changed in 1 models", stdout);
        Assert.Contains($"  - {CatalogFiles.NewModel}", stdout);
        Assert.Equal(2, StoredVersions().Length);

        (code, stdout, _) = await CliProcess.RunAsync("prices", "show", "--data", Data, "--model", "gpt-4o-mini");
        Assert.Equal(0, code);
        Assert.Contains($"Catalog in force: {CatalogFiles.Version(BundledCatalog.Bytes)}", stdout);
        Assert.Contains($"  {version}", stdout); // the history names the earlier version
        Assert.Contains("  output          $0.6", stdout);
    }

    [Fact]
    public async Task Update_from_a_url_fetches_it_over_http()
    {
        var updated = CatalogFiles.Updated();
        using var server = new CatalogServer(updated);
        var (code, stdout, stderr) = await CliProcess.RunAsync("prices", "update", "--from", server.Url, "--data", Data);
        Assert.True(code == 0, stderr);
        Assert.Contains($"from {server.Url}", stdout);
        Assert.Contains($"  + {CatalogFiles.NewModel}", stdout);
        Assert.Equal([CatalogFiles.Version(updated).Replace(':', '-') + ".json"], StoredVersions());
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task Dry_run_shows_the_changes_and_stores_nothing()
    {
        var file = CatalogFiles.Write(_dir, "litellm.json", CatalogFiles.Updated());
        var (code, stdout, _) = await CliProcess.RunAsync("prices", "update", "--from", file, "--data", Data, "--dry-run");
        Assert.Equal(0, code);
        Assert.Contains($"  + {CatalogFiles.NewModel}", stdout);
        Assert.Contains("Dry run: nothing stored.", stdout);
        Assert.Empty(StoredVersions());
        Assert.Null(Pointer());
    }

    public static TheoryData<string, string> BadCatalogs => new()
    {
        { "{ \"gpt-4o\": { \"input_cost_per_token\": ", "is not a usable catalog in LiteLLM's format" },
        { "[1, 2, 3]", "the root must be a JSON object" },
        { """{ "gpt-4o": { "litellm_provider": "openai", "input_cost_per_token": -1, "output_cost_per_token": 1e-6 } }""", "is negative" },
        { """{ "some-model": { "litellm_provider": "openai", "mode": "chat" } }""", "prices no model" },
    };

    [Theory]
    [MemberData(nameof(BadCatalogs))]
    public async Task A_bad_catalog_is_refused_and_nothing_changes(string catalog, string problem)
    {
        var good = CatalogFiles.Write(_dir, "good.json", CatalogFiles.Updated());
        Assert.Equal(0, (await CliProcess.RunAsync("prices", "update", "--from", good, "--data", Data)).ExitCode);
        var (versions, pointer) = (StoredVersions(), Pointer());

        var bad = CatalogFiles.Write(_dir, "bad.json", System.Text.Encoding.UTF8.GetBytes(catalog));
        var (code, stdout, stderr) = await CliProcess.RunAsync("prices", "update", "--from", bad, "--data", Data);
        Assert.Equal(1, code);
        Assert.Contains(problem, stderr);
        Assert.Contains("nothing changed", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.DoesNotContain("Stored", stdout);
        Assert.Equal(versions, StoredVersions());
        Assert.Equal(pointer, Pointer());
    }

    [Fact]
    public async Task An_unreachable_or_failing_source_changes_nothing()
    {
        using (var missing = new CatalogServer("not here"u8.ToArray(), status: 404))
        {
            var (code, _, stderr) = await CliProcess.RunAsync("prices", "update", "--from", missing.Url, "--data", Data);
            Assert.Equal(1, code);
            Assert.Contains("HTTP 404", stderr);
        }
        using (var stalled = new CatalogServer(CatalogFiles.Updated(), stall: true))
        {
            var (code, _, stderr) = await CliProcess.RunAsync("prices", "update", "--from", stalled.Url, "--data", Data, "--timeout", "1");
            Assert.Equal(1, code);
            Assert.Contains("no complete answer within 1 s", stderr);
        }
        var (exit, _, error) = await CliProcess.RunAsync("prices", "update", "--from", Path.Combine(_dir, "nope.json"), "--data", Data);
        Assert.Equal((1, true), (exit, error.Contains("no such file", StringComparison.Ordinal)));
        Assert.Empty(StoredVersions());
        Assert.Null(Pointer());
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
