using System.Reflection;
using System.Text.RegularExpressions;

namespace TokenOps.Gateway.Tests.Storage;

/// <summary>
/// The gateway and the CLI depend on the store contracts only: no SQLite type outside TokenOps.Storage (whose
/// StorageServiceCollectionExtensions composes the backend), and the simulator is composed by the CLI, not the gateway.
/// </summary>
public sealed partial class StorageBoundaryTests
{
    [Fact]
    public void GatewayAssembly_ReferencesNeitherSqliteNorTheSimulator()
    {
        var references = typeof(GatewayHost).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.Contains("TokenOps.Storage", references);
        Assert.DoesNotContain("Microsoft.Data.Sqlite", references);
        Assert.DoesNotContain("TokenOps.Simulator", references);
    }

    [Fact]
    public void CliAssembly_ReferencesNoSqlite()
    {
        var cli = Assembly.Load("tokenops");
        Assert.DoesNotContain("Microsoft.Data.Sqlite", cli.GetReferencedAssemblies().Select(a => a.Name));
    }

    [Theory]
    [InlineData("src/TokenOps.Gateway")]
    [InlineData("src/TokenOps")]
    public void Sources_NameNoSqliteType(string folder)
    {
        var root = RepositoryRoot();
        var offenders = Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetRelativePath(root, f), Line: i + 1, Text: line)))
            .Where(l => SqliteType().IsMatch(l.Text))
            .Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}")
            .ToList();
        Assert.True(offenders.Count == 0, string.Join(Environment.NewLine, offenders));
    }

    // A SQLite implementation type or namespace (StorageKinds.Sqlite, the config value's name, is fine).
    [GeneratedRegex(@"\bSqlite[A-Z]\w*|Storage\.Sqlite\b|Microsoft\.Data\.Sqlite|\bRollupQueries\b|\bLedgerExplorer\b")]
    private static partial Regex SqliteType();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TokenOps.slnx"))) return dir.FullName;
        throw new InvalidOperationException("TokenOps.slnx not found above " + AppContext.BaseDirectory);
    }
}
