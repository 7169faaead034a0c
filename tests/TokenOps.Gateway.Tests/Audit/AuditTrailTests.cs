using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Audit;

/// <summary>
/// The audit trail end to end: changes from the CLI and the admin API are recorded with who, from where, before and
/// after; `tokenops audit` prints them and checks the chain; tampering past the database's triggers is found.
/// </summary>
public sealed class AuditTrailTests
{
    private static List<JsonElement> Lines(string json) =>
        json.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    [Fact]
    public async Task CliAndAdminChanges_AreAudited_WithWhoWhereBeforeAndAfter_AndTamperingIsFound()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        var data = gateway.DataDirectory;

        // From the admin API: a key, under the admin token, from the caller's address.
        using (var admin = gateway.Client(GatewayFixture.AdminToken))
        using (var created = await admin.PostAsJsonAsync("/admin/keys", new { person = "gia", team = "core" }))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        // From the CLI: a budget set twice (before and after), then a key revoked.
        var (exit, _, stderr) = await CliProcess.RunAsync("budgets", "set", "--team", "core", "--limit", "50", "--period", "monthly", "--data", data);
        Assert.True(exit == 0, stderr);
        (exit, _, stderr) = await CliProcess.RunAsync("budgets", "set", "--team", "core", "--limit", "80", "--period", "monthly", "--data", data);
        Assert.True(exit == 0, stderr);
        var (_, keys, _) = await CliProcess.RunAsync("keys", "list", "--data", data);
        var keyId = keys.Split('\n').Single(l => l.Contains("gia", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        (exit, _, stderr) = await CliProcess.RunAsync("keys", "revoke", keyId, "--data", data);
        Assert.True(exit == 0, stderr);

        var (auditExit, json, auditErr) = await CliProcess.RunAsync("audit", "--format", "json", "--data", data);
        Assert.True(auditExit == 0, auditErr);
        var entries = Lines(json);
        Assert.Equal(["keys.create", "budgets.set", "budgets.set", "keys.revoke"], entries.Select(e => e.GetProperty("action").GetString()));
        Assert.Equal(("admin-token", "127.0.0.1"), (entries[0].GetProperty("actor").GetString(), entries[0].GetProperty("origin").GetString()));
        Assert.All(entries.Skip(1), e => Assert.Equal("cli:" + Environment.UserName, e.GetProperty("actor").GetString()));
        Assert.Equal(JsonValueKind.Null, entries[1].GetProperty("before").ValueKind);
        Assert.Contains("\"limit_nanos\":50000000000", entries[2].GetProperty("before").GetString());
        Assert.Contains("\"limit_nanos\":80000000000", entries[2].GetProperty("after").GetString());
        Assert.Equal("key:" + keyId, entries[3].GetProperty("subject").GetString());
        var (_, table, _) = await CliProcess.RunAsync("audit", "--data", data);
        Assert.Contains("4 entries; chain verified", table);

        // Someone with the database file drops the triggers and softens the budget change: the chain names the entry.
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(data, "tokenops.db")}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET after_value = replace(after_value, '80000000000', '50000000000') WHERE seq = 3;";
            command.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();
        var (verifyExit, _, verifyErr) = await CliProcess.RunAsync("audit", "--verify", "--data", data);
        Assert.Equal(3, verifyExit);
        Assert.Contains("the audit trail is broken at entry 3", verifyErr);
    }
}
