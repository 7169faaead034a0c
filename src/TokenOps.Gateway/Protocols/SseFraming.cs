namespace TokenOps.Gateway.Protocols;

/// <summary>
/// Splits an SSE byte stream into events (terminated by a blank line, LF or CRLF) and exposes the event name and the
/// first data line without copying. Multi-line data is rare in these protocols; the meter then sees the first line.
/// One forward pass over the lines: each byte is looked at once (searching for the blank line first, then for CRLF
/// framing, then for the lines, read every event three times).
/// </summary>
public static class SseFraming
{
    public static bool TryReadEvent(ReadOnlySpan<byte> buffer, out int length, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> data)
    {
        name = default;
        data = default;
        length = 0;
        var offset = 0;
        var sawField = false;
        while (true)
        {
            var end = buffer[offset..].IndexOf((byte)'\n');
            if (end < 0)
            {
                // Incomplete: wait for more bytes.
                name = default;
                data = default;
                return false;
            }
            var line = buffer.Slice(offset, end);
            offset += end + 1;
            if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
            if (line.IsEmpty)
            {
                // A blank line ends the event; blank lines before any field belong to it (keep-alive padding).
                if (!sawField) continue;
                length = offset;
                return true;
            }
            sawField = true;
            if (line.StartsWith("event:"u8)) name = Trim(line[6..]);
            else if (line.StartsWith("data:"u8) && data.IsEmpty) data = Trim(line[5..]);
        }
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> value) => value.Length > 0 && value[0] == ' ' ? value[1..] : value;
}
