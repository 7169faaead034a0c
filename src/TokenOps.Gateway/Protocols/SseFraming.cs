namespace TokenOps.Gateway.Protocols;

/// <summary>
/// Splits an SSE byte stream into events (terminated by a blank line, LF or CRLF) and exposes the event name and the
/// first data line without copying. Multi-line data is rare in these protocols; the meter then sees the first line.
/// </summary>
public static class SseFraming
{
    public static bool TryReadEvent(ReadOnlySpan<byte> buffer, out int length, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> data)
    {
        name = default;
        data = default;
        length = 0;
        // Look for CRLF framing only before the first LF-framed end: scanning the whole buffer for each event would
        // make a read holding many events quadratic.
        var lf = buffer.IndexOf("\n\n"u8);
        var crlf = (lf < 0 ? buffer : buffer[..lf]).IndexOf("\r\n\r\n"u8);
        if (lf < 0 && crlf < 0) return false;
        length = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf + 2;
        var block = buffer[..length];
        while (block.Length > 0)
        {
            var end = block.IndexOf((byte)'\n');
            var line = end < 0 ? block : block[..end];
            if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
            if (line.StartsWith("event:"u8)) name = Trim(line[6..]);
            else if (line.StartsWith("data:"u8) && data.IsEmpty) data = Trim(line[5..]);
            if (end < 0) break;
            block = block[(end + 1)..];
        }
        return true;
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> value) => value.Length > 0 && value[0] == ' ' ? value[1..] : value;
}
