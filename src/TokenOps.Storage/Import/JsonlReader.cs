using System.Buffers;

namespace TokenOps.Storage.Import;

/// <summary>Called for each line; <paramref name="endOffset"/> is the byte offset just past the line's newline.</summary>
public delegate void LineHandler(ReadOnlySpan<byte> line, int lineNumber, long endOffset, bool complete);

/// <summary>
/// Reads a JSONL file from a byte offset in pooled 1 MiB blocks and hands out each line as a span (no strings).
/// A line longer than the block grows the buffer. The last line without a newline is handed out with
/// <c>complete = false</c> (it may still be being written).
/// </summary>
public static class JsonlReader
{
    private const int BlockSize = 1 << 20;

    /// <returns>Byte offset just past the last complete line.</returns>
    public static long Read(string path, long offset, int firstLineNumber, LineHandler handler)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
        var buffer = ArrayPool<byte>.Shared.Rent(BlockSize);
        try
        {
            var filled = 0;
            var position = offset;   // file offset of buffer[filled]
            var lineStart = offset;  // file offset of buffer[0]
            var lineNumber = firstLineNumber;
            var scanFrom = 0;
            while (true)
            {
                if (filled == buffer.Length) TokenOps.Core.Buffers.PooledBuffer.Grow(ref buffer, filled);
                var read = RandomAccess.Read(handle, buffer.AsSpan(filled), position);
                if (read == 0) break;
                position += read;
                filled += read;
                var start = 0;
                var span = buffer.AsSpan(0, filled);
                while (true)
                {
                    var nl = span[scanFrom..].IndexOf((byte)'\n');
                    if (nl < 0) { scanFrom = filled; break; }
                    var end = scanFrom + nl;
                    var line = span[start..end];
                    if (!line.IsEmpty && line[^1] == (byte)'\r') line = line[..^1];
                    if (!line.IsEmpty) handler(line, lineNumber, lineStart + end + 1, true);
                    lineNumber++;
                    start = end + 1;
                    scanFrom = start;
                }
                if (start > 0)
                {
                    buffer.AsSpan(start, filled - start).CopyTo(buffer);
                    lineStart += start;
                    filled -= start;
                    scanFrom -= start;
                    if (scanFrom < 0) scanFrom = 0;
                }
            }
            if (filled > 0)
            {
                var line = buffer.AsSpan(0, filled);
                if (!line.Trim((byte)' ').IsEmpty) handler(line, lineNumber, lineStart + filled, false);
            }
            return lineStart;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
