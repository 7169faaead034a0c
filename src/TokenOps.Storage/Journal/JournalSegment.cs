using System.IO.MemoryMappedFiles;

namespace TokenOps.Storage.Journal;

/// <summary>One journal file, mapped for writing while it is the current segment.</summary>
internal sealed class JournalSegment
{
    /// <summary>Kept open so that closing (cutting the file to its length) needs no path: it works even when the
    /// directory has become unreachable.</summary>
    private FileStream? _stream;
    private MemoryMappedFile? _file;
    private MemoryMappedViewAccessor? _view;

    private JournalSegment(long number, string path, long capacity, FileStream stream)
    {
        Number = number;
        Path = path;
        Capacity = capacity;
        _stream = stream;
        _file = MemoryMappedFile.CreateFromFile(stream, null, capacity, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
        _view = _file.CreateViewAccessor(0, capacity, MemoryMappedFileAccess.ReadWrite);
    }

    /// <summary>Creates and maps a segment whose blocks are allocated; throws <see cref="IOException"/> or
    /// <see cref="UnauthorizedAccessException"/> when the disk or the directory does not allow it.</summary>
    public static JournalSegment Create(long number, string path, long capacity, long minFreeBytes)
    {
        var stream = SegmentFiles.CreateAllocated(path, capacity, minFreeBytes);
        try
        {
            return new JournalSegment(number, path, capacity, stream);
        }
        catch
        {
            stream.Dispose();
            try { File.Delete(path); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
            throw;
        }
    }

    public long Number { get; }
    public string Path { get; }
    public long Capacity { get; }
    public long Length { get; private set; }
    public long Remaining => Capacity - Length;
    public int Appended { get; set; }
    public int Committed { get; set; }
    public bool Closed { get; private set; }

    public void Write(byte[] line, bool flushToDisk)
    {
        _view!.WriteArray(Length, line, 0, line.Length);
        _view.Write(Length + line.Length, (byte)'\n');
        Length += line.Length + 1;
        if (flushToDisk) _view.Flush();
    }

    /// <summary>Unmaps the file and cuts it to what was written, so a closed segment holds only whole lines.</summary>
    public void Close()
    {
        if (Closed) return;
        Closed = true;
        _view?.Dispose();
        _file?.Dispose();
        _view = null;
        _file = null;
        try
        {
            _stream?.SetLength(Length);
        }
        catch (IOException)
        {
            // Left at full size: recovery stops at the zeros after the last line, as after a crash.
        }
        finally
        {
            _stream?.Dispose();
            _stream = null;
        }
    }
}
