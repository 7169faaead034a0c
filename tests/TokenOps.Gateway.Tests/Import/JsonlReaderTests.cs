using System.Text;
using TokenOps.Storage.Import;

namespace TokenOps.Gateway.Tests.Import;

public sealed class JsonlReaderTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "tokenops-jsonl-" + Guid.NewGuid().ToString("N") + ".jsonl");

    public void Dispose() => File.Delete(_path);

    private List<(string Line, int Number, long End, bool Complete)> ReadAll(long offset, int firstLine, out long stoppedAt)
    {
        var lines = new List<(string, int, long, bool)>();
        stoppedAt = JsonlReader.Read(_path, offset, firstLine, (line, number, end, complete) => lines.Add((Encoding.UTF8.GetString(line), number, end, complete)));
        return lines;
    }

    [Fact]
    public void LinesAcrossBlocks_LongLines_Crlf_EmptyLines_PartialLastLine()
    {
        var big = new string('a', 3 * 1024 * 1024 + 17); // longer than the 1 MiB block: the buffer grows
        var text = "{\"a\":1}\r\n\n" + big + "\n" + string.Concat(Enumerable.Range(0, 50_000).Select(i => $"{{\"i\":{i}}}\n")) + "{\"partial\":";
        File.WriteAllText(_path, text);
        var lines = ReadAll(0, 1, out var stoppedAt);
        Assert.Equal("{\"a\":1}", lines[0].Line);
        Assert.Equal(1, lines[0].Number);
        Assert.Equal(big, lines[1].Line);
        Assert.Equal(3, lines[1].Number); // the empty line 2 is not handed out but counted
        Assert.Equal("{\"i\":49999}", lines[^2].Line);
        Assert.Equal(50_003, lines[^2].Number);
        Assert.Equal(("{\"partial\":", false), (lines[^1].Line, lines[^1].Complete));
        Assert.All(lines.SkipLast(1), l => Assert.True(l.Complete));
        var total = Encoding.UTF8.GetByteCount(text);
        Assert.Equal(total - "{\"partial\":".Length, stoppedAt); // never past a partial line
        Assert.Equal(stoppedAt, lines[^2].End);

        // Resume from the recorded offset: only what follows, numbered on.
        File.AppendAllText(_path, "1}\n{\"z\":2}\n");
        var rest = ReadAll(stoppedAt, 50_004, out var end);
        Assert.Equal([("{\"partial\":1}", 50_004), ("{\"z\":2}", 50_005)], rest.Select(l => (l.Line, l.Number)));
        Assert.Equal(new FileInfo(_path).Length, end);
    }
}
