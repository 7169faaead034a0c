using System.Globalization;
using System.Text.Json;
using TokenOps.Core.Pricing;

namespace TokenOps.Gateway.Pricing;

/// <summary>One catalog kept in the data directory: its version (the same <c>sha256:…</c> ledger rows record), file and origin.</summary>
public sealed record StoredCatalog(string Version, string File, DateTimeOffset StoredAt, string Source, int PricedModels);

/// <summary>
/// Price catalogs fetched with <c>tokenops prices update</c>, kept in <c>DATA/prices/</c>: every version ever stored
/// (<c>sha256-&lt;hex&gt;.json</c>, the catalog's bytes as fetched, never rewritten or deleted, so any ledger row's
/// catalog_version can be traced to its prices), <c>history.jsonl</c> (one line per update) and <c>current.json</c>,
/// the pointer to the one in force. Files are written to a temporary name and renamed, so a reader (a gateway polling
/// the pointer) sees the old catalog or the new one, never half of one.
/// </summary>
public sealed class StoredCatalogs(string dataDirectory)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Directory { get; } = Path.Combine(dataDirectory, "prices");

    /// <summary>The pointer file a running gateway polls.</summary>
    public string PointerPath => Path.Combine(Directory, "current.json");

    private string HistoryPath => Path.Combine(Directory, "history.jsonl");

    /// <summary>The catalog in force, or null when none was ever stored (the bundled one is in force).</summary>
    /// <exception cref="PriceCatalogException">The pointer is unreadable or names a file that is gone.</exception>
    public StoredCatalog? Current()
    {
        if (!File.Exists(PointerPath)) return null;
        StoredCatalog? current;
        try
        {
            current = JsonSerializer.Deserialize<StoredCatalog>(File.ReadAllBytes(PointerPath), Json);
        }
        catch (JsonException ex)
        {
            throw new PriceCatalogException($"{PointerPath} is not a catalog pointer ({ex.Message}); run 'tokenops prices update' again");
        }
        if (current is null || string.IsNullOrEmpty(current.File) || Path.GetFileName(current.File) != current.File)
            throw new PriceCatalogException($"{PointerPath} is not a catalog pointer; run 'tokenops prices update' again");
        if (!File.Exists(Path.Combine(Directory, current.File)))
            throw new PriceCatalogException($"{PointerPath} names {current.File}, which is missing from {Directory}");
        return current;
    }

    /// <summary>The bytes of a stored catalog.</summary>
    public byte[] Read(StoredCatalog catalog) => File.ReadAllBytes(Path.Combine(Directory, catalog.File));

    /// <summary>Every update, oldest first (a version stored twice appears twice).</summary>
    public IReadOnlyList<StoredCatalog> History()
    {
        if (!File.Exists(HistoryPath)) return [];
        return File.ReadLines(HistoryPath)
            .Where(line => line.Length > 0)
            .Select(line => JsonSerializer.Deserialize<StoredCatalog>(line, Json))
            .OfType<StoredCatalog>()
            .ToList();
    }

    /// <summary>
    /// Keeps <paramref name="bytes"/> (already validated) as a version and makes it the one in force. Storing the
    /// version in force again changes nothing but the history.
    /// </summary>
    public StoredCatalog Store(byte[] bytes, string version, int pricedModels, string source, DateTimeOffset now)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var file = version.Replace(':', '-') + ".json";
        var path = Path.Combine(Directory, file);
        if (!File.Exists(path)) WriteAtomically(path, bytes);
        var stored = new StoredCatalog(version, file, now, source, pricedModels);
        var line = JsonSerializer.Serialize(stored, Json);
        File.AppendAllText(HistoryPath, line + "\n");
        WriteAtomically(PointerPath, System.Text.Encoding.UTF8.GetBytes(line));
        return stored;
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        var temporary = path + "." + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture) + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
