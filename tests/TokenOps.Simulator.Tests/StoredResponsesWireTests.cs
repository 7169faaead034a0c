using System.Net;
using System.Text.Json;

namespace TokenOps.Simulator.Tests;

/// <summary>Stored responses and background mode in the simulator: GET, DELETE and cancel as the Responses API answers them.</summary>
public sealed class StoredResponsesWireTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    private SimulatorServer Server => fixture.Server;

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var request = Server.Post(path, "{}");
        request.Method = method;
        if (method != HttpMethod.Post) request.Content = null;
        var response = await Server.Http.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact]
    public async Task AResponse_IsStored_ReadBack_AndDeleted_UnlessStoreIsFalse()
    {
        var created = await Server.Http.SendAsync(Server.Post("/v1/responses", """{"model":"gpt-4o-mini","input":"hi"}"""));
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var read = await SendAsync(HttpMethod.Get, $"/v1/responses/{id}");
        Assert.Equal(("completed", id), (read.GetProperty("status").GetString(), read.GetProperty("id").GetString()));
        var deleted = await SendAsync(HttpMethod.Delete, $"/v1/responses/{id}");
        Assert.Equal("response.deleted", deleted.GetProperty("object").GetString());
        await SendAsync(HttpMethod.Get, $"/v1/responses/{id}", HttpStatusCode.NotFound);

        var unstored = await Server.Http.SendAsync(Server.Post("/v1/responses", """{"model":"gpt-4o-mini","input":"hi","store":false}"""));
        var other = JsonDocument.Parse(await unstored.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await SendAsync(HttpMethod.Get, $"/v1/responses/{other}", HttpStatusCode.NotFound);
        // An unstored response is unknown to every stored-response call.
        await SendAsync(HttpMethod.Post, $"/v1/responses/{other}/cancel", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ABackgroundResponse_IsQueued_BilledWhenItFinishes_OrNeverIfCancelledFirst()
    {
        var request = Server.Post("/v1/responses", """{"model":"gpt-4o-mini","input":"hi","background":true}""");
        request.Headers.Add("x-sim-latency-ms", "150");
        var queued = JsonDocument.Parse(await (await Server.Http.SendAsync(request)).Content.ReadAsStringAsync()).RootElement.Clone();
        var id = queued.GetProperty("id").GetString()!;
        Assert.Equal(("queued", JsonValueKind.Null), (queued.GetProperty("status").GetString(), queued.GetProperty("usage").ValueKind));
        Assert.Null(Server.Bill.Find(id));
        await Task.Delay(300);
        var done = await SendAsync(HttpMethod.Get, $"/v1/responses/{id}");
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(done.GetProperty("usage").GetProperty("output_tokens").GetInt64(), Server.Bill.Find(id)!.Usage.Output);

        var slow = Server.Post("/v1/responses", """{"model":"gpt-4o-mini","input":"hi","background":true}""");
        slow.Headers.Add("x-sim-latency-ms", "60000");
        var second = JsonDocument.Parse(await (await Server.Http.SendAsync(slow)).Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var cancelled = await SendAsync(HttpMethod.Post, $"/v1/responses/{second}/cancel");
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Null(Server.Bill.Find(second));
    }
}
