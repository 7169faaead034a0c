namespace TokenOps.Core.Import;

/// <summary>
/// A project's name from an agent's working directory: its last folder ("/home/ada/src/payments/" and
/// "C:\Users\ada\payments" are "payments"). Claude Code's log folder encodes the whole path ("-home-ada-src-payments"),
/// which reads as nobody's project name, so the line's own <c>cwd</c> names it.
/// </summary>
public static class ProjectName
{
    public static string Of(string workingDirectory)
    {
        var trimmed = workingDirectory.AsSpan().TrimEnd("/\\");
        var slash = trimmed.LastIndexOfAny('/', '\\');
        return trimmed[(slash + 1)..].ToString();
    }

    /// <summary>The same on UTF-8 bytes, without decoding the path (the import's fast path).</summary>
    public static ReadOnlySpan<byte> Of(ReadOnlySpan<byte> workingDirectory)
    {
        var trimmed = workingDirectory.TrimEnd("/\\"u8);
        var slash = trimmed.LastIndexOfAny((byte)'/', (byte)'\\');
        return trimmed[(slash + 1)..];
    }
}
