using TokenOps.Routing.Embeddings;

namespace TokenOps.Routing.Similarity;

/// <summary>
/// Shrinks the distilled 384-dimensional MiniLM word-piece table (46.9 MB of float32) into the one the semantic cache
/// matcher ships, Model2Vec style: centre the piece vectors, project them on their top principal components (PCA from
/// the 384 x 384 covariance, eigenvectors by cyclic Jacobi), then store each piece as int8 with one float scale. 128
/// dimensions keep the ranking of similar prompts and make the shipped table 4 MB and a 100,000-entry scan cheap.
/// Written by `tokenops route semantic-table`; read by <see cref="SentenceVectors"/>.
/// </summary>
public static class SemanticTableBuilder
{
    public const int Magic = 0x31565354; // "TSV1"

    /// <summary>Writes the compact form of <paramref name="table"/> with <paramref name="dimensions"/> components to
    /// <paramref name="output"/>.</summary>
    public static void Write(TokenEmbeddingTable table, int dimensions, Stream output)
    {
        if (dimensions <= 0 || dimensions > MiniLm.Dimensions) throw new ArgumentOutOfRangeException(nameof(dimensions));
        var n = MiniLm.Dimensions;
        var pieces = table.Pieces;
        var mean = new double[n];
        for (var p = 0; p < pieces; p++)
        {
            var v = table.Vector(p);
            for (var d = 0; d < n; d++) mean[d] += v[d];
        }
        for (var d = 0; d < n; d++) mean[d] /= pieces;

        var cov = new double[n, n];
        var centred = new double[n];
        for (var p = 0; p < pieces; p++)
        {
            var v = table.Vector(p);
            for (var d = 0; d < n; d++) centred[d] = v[d] - mean[d];
            for (var i = 0; i < n; i++)
            {
                var ci = centred[i];
                for (var j = i; j < n; j++) cov[i, j] += ci * centred[j];
            }
        }
        for (var i = 0; i < n; i++)
            for (var j = i; j < n; j++) cov[j, i] = cov[i, j] /= pieces;

        var (values, vectors) = Eigen(cov);
        var order = Enumerable.Range(0, n).OrderByDescending(i => values[i]).Take(dimensions).ToArray();
        var components = new float[dimensions * n];
        for (var k = 0; k < dimensions; k++)
        {
            var c = order[k];
            var sign = 0.0;
            for (var d = 0; d < n; d++) if (Math.Abs(vectors[d, c]) > Math.Abs(sign)) sign = vectors[d, c];
            for (var d = 0; d < n; d++) components[k * n + d] = (float)(sign < 0 ? -vectors[d, c] : vectors[d, c]);
        }

        using var writer = new BinaryWriter(output, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(pieces);
        writer.Write(dimensions);
        var projected = new float[dimensions];
        var quantised = new byte[pieces * dimensions];
        var scales = new float[pieces];
        for (var p = 0; p < pieces; p++)
        {
            var v = table.Vector(p);
            float max = 0;
            for (var k = 0; k < dimensions; k++)
            {
                double s = 0;
                for (var d = 0; d < n; d++) s += components[k * n + d] * (v[d] - mean[d]);
                projected[k] = (float)s;
                max = Math.Max(max, Math.Abs(projected[k]));
            }
            scales[p] = max / 127f;
            for (var k = 0; k < dimensions; k++)
                quantised[p * dimensions + k] = unchecked((byte)(sbyte)(max > 0 ? Math.Round(projected[k] / max * 127f) : 0));
        }
        foreach (var s in scales) writer.Write(s);
        writer.Write(quantised);
    }

    // Cyclic Jacobi: plenty for a 384 x 384 symmetric matrix, once, offline.
    private static (double[] Values, double[,] Vectors) Eigen(double[,] matrix)
    {
        var n = matrix.GetLength(0);
        var a = (double[,])matrix.Clone();
        var v = new double[n, n];
        for (var i = 0; i < n; i++) v[i, i] = 1;
        for (var sweep = 0; sweep < 50; sweep++)
        {
            double off = 0;
            for (var i = 0; i < n; i++) for (var j = i + 1; j < n; j++) off += a[i, j] * a[i, j];
            if (off < 1e-22) break;
            for (var p = 0; p < n; p++)
                for (var q = p + 1; q < n; q++)
                {
                    if (Math.Abs(a[p, q]) < 1e-15) continue;
                    var theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    var t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    var c = 1 / Math.Sqrt(t * t + 1);
                    var s = t * c;
                    for (var k = 0; k < n; k++)
                    {
                        var akp = a[k, p];
                        var akq = a[k, q];
                        a[k, p] = c * akp - s * akq;
                        a[k, q] = s * akp + c * akq;
                    }
                    for (var k = 0; k < n; k++)
                    {
                        var apk = a[p, k];
                        var aqk = a[q, k];
                        a[p, k] = c * apk - s * aqk;
                        a[q, k] = s * apk + c * aqk;
                    }
                    for (var k = 0; k < n; k++)
                    {
                        var vkp = v[k, p];
                        var vkq = v[k, q];
                        v[k, p] = c * vkp - s * vkq;
                        v[k, q] = s * vkp + c * vkq;
                    }
                }
        }
        var values = new double[n];
        for (var i = 0; i < n; i++) values[i] = a[i, i];
        return (values, v);
    }
}
