namespace TokenOps.Storage;

/// <summary>
/// Per-file progress of `tokenops import`: size, mtime, the byte offset past the last complete line, the line number
/// and the parser's carry-over, so a second import reads nothing and a grown file is read from where the last stopped.
/// </summary>
public interface IImportState
{
    ImportFileState? Load(string source, string path);

    /// <summary>Records the file's progress; a partial last line (offset short of size) is recorded as not fully read.</summary>
    void Save(string source, string path, long size, string mtime, long offset, int line, string? carry);
}

public readonly record struct ImportFileState(long Size, string Mtime, long Offset, int Line, string? Carry);
