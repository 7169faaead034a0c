using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace TokenOps.Cli.Demo;

/// <summary>
/// The ML team's nightly evaluation job, sent through the batch lane: each workday's end submits an Anthropic message
/// batch of grading requests (work that can wait a night, at half price), and the next evening's run reads the previous
/// batch's results, which settles its lines into the ledger with lever "batch". <see cref="FinishAsync"/> reads the last.
/// </summary>
internal sealed class DemoNightlyEval(HttpClient http, string key, int requestsPerNight = 40)
{
    private readonly List<string> _pending = [];
    private int _night;

    public int Submitted { get; private set; }
    public int Refused { get; private set; }

    public async Task NightAsync(CancellationToken cancel)
    {
        await FinishAsync(cancel);
        _night++;
        var requests = new StringBuilder("{\"requests\":[");
        for (var i = 0; i < requestsPerNight; i++)
        {
            if (i > 0) requests.Append(',');
            requests.Append(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $$$"""{"custom_id":"n{{{_night}}}-q{{{i}}}","params":{"model":"claude-haiku-4-5","max_tokens":300,"messages":[{"role":"user","content":"Grade answer {{{i}}} of regression suite night {{{_night}}}: is it correct, complete and safe? Reply with a score and one reason."}]}}"""));
        }
        requests.Append("]}");
        using var response = await http.SendAsync(Request(HttpMethod.Post, "/v1/messages/batches", requests.ToString()), cancel);
        if ((int)response.StatusCode == 402)
        {
            Refused++;
            return;
        }
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancel));
        _pending.Add(doc.RootElement.GetProperty("id").GetString()!);
        Submitted += requestsPerNight;
    }

    /// <summary>Reads the results of every batch that has ended (reading them settles them); the others wait for the next call.</summary>
    public async Task FinishAsync(CancellationToken cancel)
    {
        foreach (var id in _pending.ToList())
        {
            using var results = await http.SendAsync(Request(HttpMethod.Get, $"/v1/messages/batches/{id}/results"), cancel);
            if (results.IsSuccessStatusCode) _pending.Remove(id);
        }
    }

    private HttpRequestMessage Request(HttpMethod method, string path, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        request.Headers.Add("anthropic-version", "2023-06-01");
        request.Headers.Add("X-TokenOps-Project", "nightly-eval");
        return request;
    }
}
