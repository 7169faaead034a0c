using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Telemetry;

/// <summary>OTLP/HTTP export to a tiny receiver on loopback: traces and metrics arrive, with the GenAI names in them.</summary>
public sealed class OtlpTests
{
    [Fact]
    public async Task Otlp_ExportsTracesAndMetrics_WithGenAiAttributes_WhenAnEndpointIsConfigured()
    {
        var received = new ConcurrentQueue<(string Path, string ContentType, byte[] Body)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var receiver = builder.Build();
        foreach (var path in new[] { "/v1/traces", "/v1/metrics" })
        {
            receiver.MapPost(path, async (HttpContext http) =>
            {
                using var body = new MemoryStream();
                await http.Request.Body.CopyToAsync(body);
                received.Enqueue((path, http.Request.ContentType ?? "", body.ToArray()));
                http.Response.ContentType = "application/x-protobuf";
            });
        }
        await receiver.StartAsync();
        var endpoint = GatewayHost.BoundAddress(receiver);

        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            o.Telemetry.OtlpEndpoint = endpoint;
            o.Telemetry.OtlpExportIntervalMs = 200;
        });
        var team = await MetricsTests.SendMixAsync(gateway, "otlp-" + Guid.NewGuid().ToString("N")[..8]);
        await gateway.LedgerAsync(7);

        // Protobuf keeps strings as UTF-8 bytes, so attribute names and values are visible in the bodies.
        bool Has(string path, params string[] needles) => received.Any(r => r.Path == path &&
            needles.All(n => Encoding.Latin1.GetString(r.Body).Contains(n, StringComparison.Ordinal)));
        // Bounded, but generous: with the whole suite running on 2 cores, one export cycle of the periodic reader was
        // seen to take over 20 s in a fresh CI run (the message below says what each export body lacked).
        var deadline = DateTime.UtcNow.AddSeconds(45);
        while (DateTime.UtcNow < deadline && !(Has("/v1/traces", team, "gen_ai.usage.input_tokens") && Has("/v1/metrics", team, "tokenops.requests")))
            await Task.Delay(100);

        Assert.True(Has("/v1/traces", team, "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.request.model",
            "gen_ai.response.model", "gen_ai.provider.name", "gen_ai.operation.name", "gpt-4o-mini", "tokenops-gateway"), "no trace export with the GenAI attributes");
        Assert.True(Has("/v1/metrics", team, "tokenops.requests", "tokenops.tokens", "tokenops.cost.nanodollars",
            "gen_ai.client.operation.duration", "gen_ai.client.token.usage"), "no metrics export with the TokenOps instruments: " +
            string.Join(" | ", received.Where(r => r.Path == "/v1/metrics").Select(r => r.Body.Length + ":" + string.Join(",",
                new[] { team, "tokenops.requests", "tokenops.tokens", "tokenops.cost.nanodollars", "gen_ai.client.operation.duration", "gen_ai.client.token.usage" }
                .Where(n => !Encoding.Latin1.GetString(r.Body).Contains(n, StringComparison.Ordinal))))));
        Assert.All(received, r => Assert.Equal("application/x-protobuf", r.ContentType));
        await receiver.StopAsync();
    }

    [Fact]
    public async Task BadTelemetryConfiguration_IsRefusedAtStart()
    {
        await Assert.ThrowsAsync<TokenOps.Gateway.Configuration.ConfigurationException>(() =>
            GatewayFixture.StartAsync(o => o.Telemetry.OtlpProtocol = "udp"));
        await Assert.ThrowsAsync<TokenOps.Gateway.Configuration.ConfigurationException>(() =>
            GatewayFixture.StartAsync(o => o.Telemetry.MetricsPath = "metrics"));
        await Assert.ThrowsAsync<TokenOps.Gateway.Configuration.ConfigurationException>(() =>
            GatewayFixture.StartAsync(o => o.Telemetry.MaxSeriesPerInstrument = 5));
    }
}
