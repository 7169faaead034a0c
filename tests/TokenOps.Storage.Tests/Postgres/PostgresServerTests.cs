using TokenOps.TestServers;
namespace TokenOps.Storage.Tests.Postgres;

/// <summary>The fixture itself: without the server binaries it fails (never skips) and names the package to install.</summary>
public sealed class PostgresServerTests
{
    [Fact]
    public void Without_the_binaries_the_fixture_fails_naming_the_Debian_package()
    {
        var empty = Path.Combine(Path.GetTempPath(), "tokenops-no-pg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(empty, "15", "bin"));
        try
        {
            var error = Assert.Throws<InvalidOperationException>(() => PostgresServer.FindBinaries(empty, path: empty));
            Assert.Contains("`postgresql` package", error.Message, StringComparison.Ordinal);
            Assert.Contains("apt-get install postgresql", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public void The_newest_installed_major_version_is_used()
    {
        var root = Path.Combine(Path.GetTempPath(), "tokenops-fake-pg-" + Guid.NewGuid().ToString("N"));
        foreach (var major in new[] { "9", "15", "13" })
        {
            var bin = Directory.CreateDirectory(Path.Combine(root, major, "bin")).FullName;
            File.WriteAllText(Path.Combine(bin, "initdb"), "");
            File.WriteAllText(Path.Combine(bin, "pg_ctl"), "");
        }
        try
        {
            Assert.Equal(Path.Combine(root, "15", "bin"), PostgresServer.FindBinaries(root, path: ""));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
