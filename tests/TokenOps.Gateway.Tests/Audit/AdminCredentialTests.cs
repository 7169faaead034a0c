using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Audit;

/// <summary>Named admin credentials with scopes, created and revoked from the CLI, enforced by the admin API, audited by name.</summary>
public sealed class AdminCredentialTests
{
    [Fact]
    public async Task ScopedCredentials_AllowWhatTheirScopesName_AndAreRefusedOnceRevoked()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        var data = gateway.DataDirectory;
        async Task<string> CreateAsync(string name, string scopes)
        {
            var (exit, stdout, stderr) = await CliProcess.RunAsync("credentials", "create", "--name", name, "--scopes", scopes, "--data", data);
            Assert.True(exit == 0, stderr);
            return stdout.Trim().Split('\n')[^1].Trim();
        }
        var reader = await CreateAsync("finance", "read");
        var keyAdmin = await CreateAsync("ops-bot", "keys");

        using (var finance = gateway.Client(reader))
        {
            Assert.Equal(HttpStatusCode.OK, (await finance.GetAsync("/admin/keys")).StatusCode);
            using var denied = await finance.PostAsJsonAsync("/admin/keys", new { person = "gia", team = "core" });
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
            var error = JsonDocument.Parse(await denied.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
            Assert.Equal("insufficient_scope", error.GetProperty("code").GetString());
            Assert.Contains("needs 'keys'", error.GetProperty("message").GetString());
        }
        using (var ops = gateway.Client(keyAdmin))
        {
            using var created = await ops.PostAsJsonAsync("/admin/keys", new { person = "gia", team = "core" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            // keys does not imply read, nor budgets.
            Assert.Equal(HttpStatusCode.Forbidden, (await ops.GetAsync("/admin/keys")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await ops.DeleteAsync("/admin/budgets/team:core")).StatusCode);
        }
        // A credential is named in the audit trail; its secret is never stored or printed.
        var (_, audit, _) = await CliProcess.RunAsync("audit", "--format", "json", "--data", data);
        Assert.Contains("\"actor\":\"admin:ops-bot\"", audit);
        Assert.Contains("admin-credentials.create", audit);
        Assert.DoesNotContain(keyAdmin, audit);
        var (_, listed, _) = await CliProcess.RunAsync("credentials", "list", "--data", data);
        Assert.DoesNotContain(keyAdmin, listed);
        Assert.Contains("ops-bot", listed);

        // Revoked from the CLI: refused within the cache's few seconds.
        var (revokeExit, _, revokeErr) = await CliProcess.RunAsync("credentials", "revoke", "ops-bot", "--data", data);
        Assert.True(revokeExit == 0, revokeErr);
        using var after = gateway.Client(keyAdmin);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        HttpStatusCode status;
        do
        {
            using var attempt = await after.PostAsJsonAsync("/admin/keys", new { person = "hal", team = "core" });
            status = attempt.StatusCode;
            if (status == HttpStatusCode.Unauthorized) break;
            await Task.Delay(250);
        } while (DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.Unauthorized, status);

        // Bad input: an unknown scope and a taken name are one-line errors, exit 2.
        var (badExit, _, badErr) = await CliProcess.RunAsync("credentials", "create", "--name", "x", "--scopes", "everything", "--data", data);
        Assert.Equal(2, badExit);
        Assert.Contains("'everything' is not a scope", badErr);
        (badExit, _, badErr) = await CliProcess.RunAsync("credentials", "create", "--name", "finance", "--scopes", "read", "--data", data);
        Assert.Equal(2, badExit);
        Assert.Contains("exists", badErr);
    }
}
