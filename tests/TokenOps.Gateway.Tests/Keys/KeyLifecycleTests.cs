using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using TokenOps.Core.Identity;
using TokenOps.Gateway.Keys;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Keys;

/// <summary>
/// Key lifecycle through real HTTP: expiry, rotation with an overlap, model allow-lists (on what is asked for and on what
/// serves), last use written in batches, and a person moving team from a date (new rows follow, old rows stay).
/// </summary>
public sealed class KeyLifecycleTests
{
    private static StringContent Chat(string model) =>
        new($$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json");

    /// <summary>The error's code (OpenAI) or message (Anthropic, or when asked).</summary>
    private static async Task<string> ErrorCode(HttpResponseMessage response, bool anthropic = false, bool message = false)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        if (anthropic) Assert.Equal("error", doc.RootElement.GetProperty("type").GetString());
        var error = doc.RootElement.GetProperty("error");
        return anthropic || message ? error.GetProperty("message").GetString()! : error.GetProperty("code").GetString()!;
    }

    [Fact]
    public async Task An_expired_key_is_refused_in_each_protocols_format()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        var (key, secret) = gateway.Keys.Create("exp", "core");
        gateway.Keys.SetLimits(key.Id, DateTimeOffset.UtcNow.AddMinutes(-1), null);
        using var http = gateway.Client(secret);
        using var openai = await http.PostAsync("/v1/chat/completions", Chat("gpt-4o-mini"));
        Assert.Equal(HttpStatusCode.Unauthorized, openai.StatusCode);
        Assert.Equal("key_expired", await ErrorCode(openai));
        using var anthropic = await http.PostAsync("/v1/messages", new StringContent(
            """{"model":"claude-sonnet-4-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, anthropic.StatusCode);
        Assert.Contains("expired", await ErrorCode(anthropic, anthropic: true));
        Assert.DoesNotContain(secret, await anthropic.Content.ReadAsStringAsync());
        Assert.Equal(0, gateway.Bill.Count);
    }

    [Fact]
    public async Task Rotation_keeps_the_old_key_for_the_overlap_then_only_the_new_one_works()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var admin = gateway.Client(GatewayFixture.AdminToken);
        var (key, oldSecret) = gateway.Keys.Create("rot", "core");
        using var rotated = await admin.PostAsJsonAsync($"/admin/keys/{key.Id}/rotate", new { overlapHours = 24 });
        Assert.Equal(HttpStatusCode.Created, rotated.StatusCode);
        var body = JsonDocument.Parse(await rotated.Content.ReadAsStringAsync()).RootElement;
        var newSecret = body.GetProperty("key").GetString()!;
        var newId = body.GetProperty("id").GetString()!;
        // Both work during the overlap, with the official SDK; rows name the key that was used.
        foreach (var secret in new[] { oldSecret, newSecret })
            await new ChatClient("gpt-4o-mini", new ApiKeyCredential(secret), new OpenAI.OpenAIClientOptions { Endpoint = new Uri(gateway.BaseUrl, "v1") }).CompleteChatAsync("hi");
        var rows = await gateway.LedgerAsync(2);
        Assert.Equal(new[] { key.Id, newId }.Order(StringComparer.Ordinal), rows.Select(r => r.KeyId!).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Equal(("rot", "core"), (r.Person, r.Team)));

        // Rotating the new key with no overlap ends it at once: it is refused, saying it was rotated.
        using var again = await admin.PostAsJsonAsync($"/admin/keys/{newId}/rotate", new { overlapHours = 0 });
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        using var http = gateway.Client(newSecret);
        using var refused = await http.PostAsync("/v1/chat/completions", Chat("gpt-4o-mini"));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("rotated", await refused.Content.ReadAsStringAsync());
        using var missing = await admin.PostAsJsonAsync("/admin/keys/key_nope/rotate", new { overlapHours = 1 });
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_model_allow_list_holds_for_the_model_asked_and_the_model_that_serves()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Models["cheap"] = new() { Target = "gpt-4o" });
        using var admin = gateway.Client(GatewayFixture.AdminToken);
        using var created = await admin.PostAsJsonAsync("/admin/keys", new { person = "mo", team = "core", models = "gpt-4o-mini, cheap, claude-*" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var secret = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("key").GetString()!;
        using var http = gateway.Client(secret);
        using (var ok = await http.PostAsync("/v1/chat/completions", Chat("gpt-4o-mini"))) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using (var outside = await http.PostAsync("/v1/chat/completions", Chat("gpt-4o")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, outside.StatusCode);
            Assert.Equal("model_not_allowed", await ErrorCode(outside));
        }
        // An alias the key may ask for, served by a model it may not use: refused too.
        using (var alias = await http.PostAsync("/v1/chat/completions", Chat("cheap")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, alias.StatusCode);
            Assert.Contains("'gpt-4o' (chosen for 'cheap')", await ErrorCode(alias, anthropic: false, message: true));
        }
        using (var glob = await http.PostAsync("/v1/messages", new StringContent(
                   """{"model":"claude-sonnet-4-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.OK, glob.StatusCode);
        Assert.Equal(2, gateway.Bill.Count);
        var rows = await gateway.LedgerAsync(4);
        Assert.Equal(2, rows.Count(r => r.ErrorCode == "model_not_allowed"));
    }

    [Fact]
    public async Task Last_use_is_written_in_batches_off_the_request_path()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        var (key, secret) = gateway.Keys.Create("lu", "core");
        using var http = gateway.Client(secret);
        for (var i = 0; i < 3; i++)
            using (var r = await http.PostAsync("/v1/chat/completions", Chat("gpt-4o-mini"))) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        // Not written per request: nothing in the store until the flusher runs.
        Assert.Null(gateway.Keys.FindById(key.Id)!.LastUsedAt);
        gateway.App.Services.GetRequiredService<KeyUsageFlusher>().Flush();
        var used = gateway.Keys.FindById(key.Id)!.LastUsedAt;
        Assert.NotNull(used);
        Assert.True(DateTimeOffset.UtcNow - used!.Value < TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task A_person_who_moves_team_is_attributed_to_the_new_team_from_then_and_old_rows_keep_theirs()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var admin = gateway.Client(GatewayFixture.AdminToken);
        var (_, secret) = gateway.Keys.Create("ada", "payments");
        using var http = gateway.Client(secret);
        using (var before = await http.PostAsync("/v1/chat/completions", Chat("gpt-4o-mini"))) Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        // A move dated in the future changes nothing yet; one from now takes effect at the next request.
        using (var later = await admin.PostAsJsonAsync("/admin/people/ada/move", new { team = "search", from = DateTimeOffset.UtcNow.AddDays(30) }))
            Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        using (var second = await http.PostAsync("/v1/chat/completions", Chat("gpt-4o-mini"))) Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        using (var moved = await admin.PostAsJsonAsync("/admin/people/ada/move", new { team = "growth" })) Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        using (var after = await http.PostAsync("/v1/chat/completions", Chat("gpt-4o-mini"))) Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        var rows = (await gateway.LedgerAsync(3)).OrderBy(r => r.StartedAt).ToList();
        Assert.Equal(["payments", "payments", "growth"], rows.Select(r => r.Team));
        using var unknown = await admin.PostAsJsonAsync("/admin/people/nobody/move", new { team = "growth" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        // Every change is in the audit trail with before and after.
        var audit = gateway.App.Services.GetRequiredService<TokenOps.Storage.IAuditLog>().Read();
        Assert.Equal(2, audit.Count(e => e.Action == "people.move" && e.Subject == "person:ada"));
    }
}
