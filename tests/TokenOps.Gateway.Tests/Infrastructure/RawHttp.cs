using System.Net.Sockets;
using System.Text;

namespace TokenOps.Gateway.Tests.Infrastructure;

/// <summary>What the server answered to a large upload, and how much of it the client had sent by then.</summary>
public sealed record RawAnswer(int Status, string Body, long SentWhenAnswered, long BodyBytes, bool SenderFinishedFirst)
{
    /// <summary>
    /// The server answered while the upload was still under way: it did not wait to read it (a server that read the body
    /// first could only answer after the last byte was sent). The byte bound is loose: on a loaded 2-core machine the
    /// sender got 58 % of 30 MiB out before the answer reached it (a fresh-clone CI run).
    /// </summary>
    public bool AnsweredEarly => !SenderFinishedFirst && SentWhenAnswered < BodyBytes * 9 / 10;
}

/// <summary>
/// Uploads a large body over a plain socket (Content-Length or chunked) while reading the answer at the same time, so a
/// test can tell whether the server answered before the client finished sending. The body starts like a JSON object
/// whose string never ends, so a server that parses it has to read all of it.
/// </summary>
public static class RawHttp
{
    public static async Task<RawAnswer> UploadAsync(Uri baseUrl, string method, string path, long bodyBytes, bool chunked,
        IEnumerable<(string Name, string Value)>? headers = null, long? declaredLength = null)
    {
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(baseUrl.Host, baseUrl.Port);
        var stream = tcp.GetStream();
        var head = new StringBuilder($"{method} {path} HTTP/1.1\r\nHost: {baseUrl.Authority}\r\nContent-Type: application/json\r\n");
        foreach (var (name, value) in headers ?? []) head.Append($"{name}: {value}\r\n");
        head.Append(chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {declaredLength ?? bodyBytes}\r\n").Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));

        long sent = 0;
        var finished = false;
        using var stop = new CancellationTokenSource();
        var sender = Task.Run(async () =>
        {
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)'a');
            "{\"person\":\"a\",\"team\":\"a\",\"key\":\"tok_"u8.CopyTo(chunk);
            try
            {
                while (sent < bodyBytes)
                {
                    var n = (int)Math.Min(chunk.Length, bodyBytes - sent);
                    if (chunked) await stream.WriteAsync(Encoding.ASCII.GetBytes($"{n:X}\r\n"), stop.Token);
                    await stream.WriteAsync(chunk.AsMemory(0, n), stop.Token);
                    if (chunked) await stream.WriteAsync("\r\n"u8.ToArray(), stop.Token);
                    Interlocked.Add(ref sent, n);
                    if (sent == n) Array.Fill(chunk, (byte)'a', 0, 64);
                }
                if (chunked) await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), stop.Token);
                Volatile.Write(ref finished, true);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The server closed the connection (or the test is done): stop sending.
            }
        });

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int headEnd;
        long sentWhenAnswered = -1;
        var finishedFirst = false;
        while ((headEnd = IndexOf(received, "\r\n\r\n"u8)) < 0)
        {
            var n = await stream.ReadAsync(buffer, timeout.Token);
            if (n == 0) throw new IOException($"connection closed before an answer (sent {Interlocked.Read(ref sent)} bytes)");
            if (sentWhenAnswered < 0)
            {
                sentWhenAnswered = Interlocked.Read(ref sent);
                finishedFirst = Volatile.Read(ref finished);
            }
            received.Write(buffer, 0, n);
        }
        var text = Encoding.ASCII.GetString(received.GetBuffer(), 0, headEnd);
        var status = int.Parse(text.Split(' ')[1]);
        var fields = text.Split("\r\n").Skip(1).Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var isChunked = fields.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase);
        var length = fields.TryGetValue("Content-Length", out var cl) ? long.Parse(cl) : long.MaxValue;
        bool Complete()
        {
            var rest = received.GetBuffer().AsSpan(headEnd + 4, (int)(received.Length - headEnd - 4));
            return isChunked ? rest.EndsWith("0\r\n\r\n"u8) : rest.Length >= length;
        }
        while (!Complete())
        {
            var n = await stream.ReadAsync(buffer, timeout.Token);
            if (n == 0) break;
            received.Write(buffer, 0, n);
        }
        var raw = received.GetBuffer().AsSpan(headEnd + 4, (int)(received.Length - headEnd - 4)).ToArray();
        var body = Encoding.UTF8.GetString(isChunked ? Dechunk(raw) : raw);
        stop.Cancel();
        tcp.Close();
        await sender;
        return new RawAnswer(status, body, sentWhenAnswered, bodyBytes, finishedFirst);
    }

    private static byte[] Dechunk(byte[] raw)
    {
        var output = new MemoryStream();
        var at = 0;
        while (at < raw.Length)
        {
            var lineEnd = raw.AsSpan(at).IndexOf("\r\n"u8);
            if (lineEnd < 0) break;
            var size = Convert.ToInt32(Encoding.ASCII.GetString(raw, at, lineEnd).Split(';')[0], 16);
            if (size == 0) break;
            output.Write(raw, at + lineEnd + 2, size);
            at += lineEnd + 2 + size + 2;
        }
        return output.ToArray();
    }

    private static int IndexOf(MemoryStream stream, ReadOnlySpan<byte> value) =>
        stream.GetBuffer().AsSpan(0, (int)stream.Length).IndexOf(value);
}
