namespace TokenOps.Routing.Training;

/// <summary>
/// L2-regularised logistic regression with soft targets (0..1), fitted by full-batch Adam for a fixed number of steps
/// from zero: the same data always gives the same weights, with no random draw at all. Columns must be standardised;
/// each column has its own L2 strength (the embedding block is held on a shorter leash than the hand-made features).
/// </summary>
public sealed class LogisticRegression
{
    public required double[] Weights { get; init; }
    public required double Bias { get; init; }

    public static LogisticRegression Fit(float[][] rows, double[] targets, double[] rowWeights, double[] l2, int steps = 400, double rate = 0.05)
    {
        var n = rows.Length;
        var d = l2.Length;
        var w = new double[d];
        double b = 0;
        var m = new double[d + 1];
        var v = new double[d + 1];
        var grad = new double[d + 1];
        const double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
        var totalWeight = rowWeights.Sum();
        for (var step = 1; step <= steps; step++)
        {
            Array.Clear(grad);
            for (var i = 0; i < n; i++)
            {
                var row = rows[i];
                var z = b;
                for (var j = 0; j < d; j++) z += w[j] * row[j];
                var error = (Sigmoid(z) - targets[i]) * rowWeights[i];
                for (var j = 0; j < d; j++) grad[j] += error * row[j];
                grad[d] += error;
            }
            for (var j = 0; j <= d; j++)
            {
                var g = grad[j] / totalWeight + (j < d ? l2[j] * w[j] : 0);
                m[j] = beta1 * m[j] + (1 - beta1) * g;
                v[j] = beta2 * v[j] + (1 - beta2) * g * g;
                var update = rate * (m[j] / (1 - Math.Pow(beta1, step))) / (Math.Sqrt(v[j] / (1 - Math.Pow(beta2, step))) + epsilon);
                if (j < d) w[j] -= update;
                else b -= update;
            }
        }
        return new LogisticRegression { Weights = w, Bias = b };
    }

    public double Logit(ReadOnlySpan<float> row)
    {
        var z = Bias;
        for (var j = 0; j < Weights.Length; j++) z += Weights[j] * row[j];
        return z;
    }

    public static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
}
