using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using TokenOps.Routing;
using TokenOps.Routing.Embeddings;
using TokenOps.Routing.Evaluation;
using TokenOps.Routing.Scoring;
using TokenOps.Routing.Similarity;
using TokenOps.Routing.Training;

namespace TokenOps.Cli.Commands;

/// <summary>
/// `tokenops route train|eval`: the routing scorer's weights and its measured quality, offline. `train` fits the scorer
/// on labelled prompts (../shared/data/routing) and writes the weights file the gateway embeds; `eval` prints APGR,
/// CPT(50 %), CPT(80 %) and PGR at a dial for the scorer, random routing and prompt-length routing in one run, either
/// with the shipped weights on given files or leave-domain-out (every prompt scored by a scorer that never saw its
/// domain). See docs/ROUTING.md.
/// </summary>
internal static class RouteCommand
{
    public const int DefaultSeed = 7;

    public static Command Create() => new("route", "Model routing: score requests as the router would; train the scorer and measure routing quality (APGR, CPT, PGR)")
    {
        RouteScoreCommand.Create(), Train(), Eval(), Features(), SemanticTable(),
    };

    // The semantic cache matcher's compact word-piece table (PCA + int8) from the distilled MiniLM one; see docs/ROUTING.md.
    private static Command SemanticTable()
    {
        var output = new Option<string>("--out") { Description = "Where to write the table (the shipped file is src/TokenOps.Routing/Similarity/semantic-pieces.bin)", Required = true };
        var dimensions = new Option<int>("--dimensions") { Description = "Principal components kept", DefaultValueFactory = _ => 128 };
        var cache = new Option<string?>("--embedding-cache") { Description = "Where the distilled MiniLM word-piece table is cached (default: the temp directory)" };
        var command = new Command("semantic-table", "Write the semantic cache matcher's compact word-piece table (PCA and int8 of the distilled MiniLM table)") { output, dimensions, cache };
        command.SetAction(parse =>
        {
            var tokenizer = MiniLm.Tokenizer();
            var path = parse.GetValue(cache) ?? Path.Combine(Path.GetTempPath(), "tokenops-minilm-pieces-v1.bin");
            var table = TokenEmbeddingTable.TryLoad(path, tokenizer.VocabularySize);
            if (table is null)
            {
                table = TokenEmbeddingTable.Distil(tokenizer.VocabularySize, Environment.ProcessorCount, m => Console.Error.WriteLine(m));
                table.Save(path);
            }
            using (var file = File.Create(parse.GetValue(output)!)) SemanticTableBuilder.Write(table, parse.GetValue(dimensions), file);
            Console.WriteLine($"wrote {new FileInfo(parse.GetValue(output)!).Length:N0} bytes to {parse.GetValue(output)}");
            return 0;
        });
        return command;
    }

    private static Command Features()
    {
        var data = new Option<string>("--data") { Description = "Routing data directory", Required = true };
        var command = new Command("features", "Each cheap feature's APGR as a router on its own, per group: which signals carry over") { data };
        command.SetAction(parse =>
        {
            var prompts = Load(RoutingDataset.FilesIn(parse.GetValue(data)!));
            var features = prompts.Select(p => { var f = new double[PromptFeatures.Count]; PromptFeatures.Extract(p.Text, f); return f; }).ToArray();
            var groups = prompts.Select((p, i) => (Group: RouterComparison.GroupOf(p.Domain), Index: i)).GroupBy(x => x.Group).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
            Console.WriteLine($"{"FEATURE",-28} " + string.Join(" ", groups.Select(g => $"{g.Key,8}")) + "   (APGR when a higher value routes to the strong model)");
            for (var j = 0; j < PromptFeatures.Count; j++)
            {
                var cells = groups.Select(g =>
                {
                    var rows = g.Select(x => x.Index).ToArray();
                    return RoutingCurve.Build(rows.Select(i => features[i][j]).ToArray(), rows.Select(i => prompts[i]).ToArray()).Apgr();
                });
                Console.WriteLine($"{PromptFeatures.Names[j],-28} " + string.Join(" ", cells.Select(c => c.ToString("0.000", CultureInfo.InvariantCulture).PadLeft(8))));
            }
            return 0;
        });
        return command;
    }

    private static Command Train()
    {
        var data = new Option<string>("--data") { Description = "Routing data directory (mmlu/*.csv, gsm8k/*.csv), as in ../shared/data/routing", Required = true };
        var output = new Option<string>("--out") { Description = "Where to write the weights (the shipped file is src/TokenOps.Routing/weights.json)", Required = true };
        var tuning = new TrainerSettings();
        var command = new Command("train", "Train the routing scorer on every labelled prompt under --data and write its weights") { data, output };
        tuning.AddTo(command);
        command.SetAction(parse =>
        {
            var options = tuning.Read(parse);
            var files = RoutingDataset.FilesIn(parse.GetValue(data)!);
            var prompts = Load(files);
            var (tokenizer, table) = Embeddings(parse, tuning);
            var set = TrainingSet.Build(prompts, tokenizer, table, options.MaxPieces);
            var training = new ScorerTraining
            {
                Command = $"tokenops route train --data {parse.GetValue(data)} --out {parse.GetValue(output)}",
                Files = files.Select(Path.GetFileName).ToArray()!,
                Rows = prompts.Count,
                Seed = parse.GetValue(tuning.Seed),
                Label = "soft gain: 1 strong right and weak wrong, 0 weak right and strong wrong, 0.5 when they agree",
                Settings = options.AsSettings(),
            };
            var weights = ScorerTrainer.Train(set, Enumerable.Range(0, prompts.Count).ToArray(), options, table, training);
            File.WriteAllText(parse.GetValue(output)!, weights.ToJson() + "\n");
            Console.WriteLine($"Trained on {prompts.Count} prompts from {files.Count} files; weights written to {parse.GetValue(output)}.");
            return 0;
        });
        return command;
    }

    private static Command Eval()
    {
        var files = new Argument<string[]>("files") { Description = "Evaluation files in the formats of ../shared/data/routing (mmlu_<domain>.csv, gsm8k_*.csv)", Arity = ArgumentArity.ZeroOrMore };
        var dial = new Option<double>("--dial") { Description = "The share of requests (0..1) the router may send to the strong model, for PGR at the dial", DefaultValueFactory = _ => 0.3 };
        var format = new Option<string>("--format") { Description = "table or json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var weightsFile = new Option<string?>("--weights") { Description = "A weights file to evaluate instead of the shipped one" };
        var leaveDomainOut = new Option<bool>("--leave-domain-out") { Description = "Score every prompt under --data with a scorer trained without its domain (GSM8K: 5-fold) instead of the shipped weights" };
        var gsmHeldOut = new Option<bool>("--gsm8k-held-out") { Description = "With --leave-domain-out: score GSM8K with scorers trained on MMLU only (no GSM8K row) instead of 5-fold" };
        var data = new Option<string?>("--data") { Description = "With --leave-domain-out: the routing data directory" };
        var scoresOut = new Option<string?>("--scores-out") { Description = "Also write every prompt's domain, gain and score to this CSV file" };
        var tuning = new TrainerSettings();
        var command = new Command("eval", "Routing quality of the scorer beside random and prompt-length routing: APGR, CPT(50%), CPT(80%), PGR at the dial")
        {
            files, dial, format, weightsFile, leaveDomainOut, gsmHeldOut, data, scoresOut,
        };
        tuning.AddTo(command);
        command.SetAction(parse =>
        {
            var share = parse.GetValue(dial);
            if (share is < 0 or > 1 || double.IsNaN(share)) throw new CliException("--dial must be between 0 and 1", 2);
            var seed = parse.GetValue(tuning.Seed);
            IReadOnlyList<LabelledPrompt> prompts;
            double[] scores;
            string scorerName;
            if (parse.GetValue(leaveDomainOut))
            {
                var directory = parse.GetValue(data) ?? throw new CliException("--leave-domain-out needs --data DIR", 2);
                var paths = parse.GetValue(files) is { Length: > 0 } given ? given : RoutingDataset.FilesIn(directory).ToArray();
                prompts = Load(paths);
                var options = tuning.Read(parse);
                var (tokenizer, table) = Embeddings(parse, tuning);
                var set = TrainingSet.Build(prompts, tokenizer, table, options.MaxPieces);
                scores = LeaveDomainOut.Scores(set, options, table, tokenizer, seed, parse.GetValue(gsmHeldOut), m => Console.Error.WriteLine(m));
                scorerName = parse.GetValue(gsmHeldOut) ? "scorer (domain held out)" : "scorer (domain held out; GSM8K 5-fold)";
            }
            else
            {
                var paths = parse.GetValue(files) ?? [];
                if (paths.Length == 0) throw new CliException("name the evaluation files (or --leave-domain-out --data DIR)", 2);
                prompts = Load(paths);
                var scorer = parse.GetValue(weightsFile) is { } path ? FromFile(path) : StrongScorer.LoadDefault();
                scores = prompts.Select(p => scorer.Score(RoutePrompt.FromText(p.Text)).StrongScore).ToArray();
                scorerName = parse.GetValue(weightsFile) is null ? "scorer (shipped weights)" : "scorer";
            }
            if (parse.GetValue(scoresOut) is { } scoresPath)
                File.WriteAllLines(scoresPath, prompts.Select((p, i) => string.Create(CultureInfo.InvariantCulture, $"{p.Domain},{p.Gain},{scores[i]:R},{p.Text.Length}")).Prepend("domain,gain,score,chars"));
            var groups = prompts.Select((p, i) => (Group: RouterComparison.GroupOf(p.Domain), Index: i))
                .GroupBy(x => x.Group).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => RouterComparison.Compare(g.Key, g.Select(x => prompts[x.Index]).ToArray(), g.Select(x => scores[x.Index]).ToArray(), scorerName, share, seed))
                .ToList();
            Print(groups, parse.GetValue(format)!);
            return 0;
        });
        return command;
    }

    private static IReadOnlyList<LabelledPrompt> Load(IEnumerable<string> files)
    {
        try { return RoutingDataset.Load(files); }
        catch (RoutingDataException ex) { throw new CliException(ex.Message, 2); }
    }

    private static StrongScorer FromFile(string path)
    {
        if (!File.Exists(path)) throw new CliException($"no weights file '{path}'", 2);
        using var stream = File.OpenRead(path);
        try { return StrongScorer.FromWeights(ScorerWeights.FromJson(stream), MiniLm.Tokenizer()); }
        catch (Exception ex) when (ex is JsonException or InvalidDataException) { throw new CliException($"'{path}' is not a weights file: {ex.Message}", 2); }
    }

    // The per-piece MiniLM table takes a minute to distil; it depends only on the packaged model, so it is cached.
    private static (WordPieceTokenizer, TokenEmbeddingTable) Embeddings(ParseResult parse, TrainerSettings tuning)
    {
        var tokenizer = MiniLm.Tokenizer();
        var cache = parse.GetValue(tuning.Cache) ?? Path.Combine(Path.GetTempPath(), "tokenops-minilm-pieces-v1.bin");
        var table = TokenEmbeddingTable.TryLoad(cache, tokenizer.VocabularySize);
        if (table is null)
        {
            table = TokenEmbeddingTable.Distil(tokenizer.VocabularySize, Environment.ProcessorCount, m => Console.Error.WriteLine(m));
            table.Save(cache);
            Console.Error.WriteLine($"MiniLM word-piece table cached in {cache}");
        }
        return (tokenizer, table);
    }

    private static void Print(IReadOnlyList<GroupFigures> groups, string format)
    {
        if (format == "json")
        {
            Console.WriteLine(JsonSerializer.Serialize(groups.Select(g => new
            {
                group = g.Group, prompts = g.Prompts, weak_accuracy = Math.Round(g.WeakAccuracy, 4), strong_accuracy = Math.Round(g.StrongAccuracy, 4), dial = g.Dial,
                routers = g.Routers.Select(r => new { router = r.Router, apgr = Math.Round(r.Apgr, 4), cpt50 = Math.Round(r.Cpt50, 4), cpt80 = Math.Round(r.Cpt80, 4), pgr_at_dial = Math.Round(r.PgrAtDial, 4) }),
            })));
            return;
        }
        foreach (var g in groups)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{g.Group}: {g.Prompts} prompts, weak accuracy {g.WeakAccuracy:0.000}, strong accuracy {g.StrongAccuracy:0.000}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"ROUTER",-40} {"APGR",6} {"CPT(50%)",9} {"CPT(80%)",9} {"PGR@" + (g.Dial * 100).ToString("0", CultureInfo.InvariantCulture) + "%",8}"));
            foreach (var r in g.Routers)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {r.Router,-40} {r.Apgr,6:0.000} {r.Cpt50 * 100,8:0.0}% {r.Cpt80 * 100,8:0.0}% {r.PgrAtDial,8:0.000}"));
        }
    }

    /// <summary>The trainer's settings as options, shared by train and eval --leave-domain-out.</summary>
    private sealed class TrainerSettings
    {
        private static readonly TrainerOptions Defaults = new();
        public Option<int> Seed { get; } = new("--seed") { Description = "Seed of the GSM8K folds and the random baseline", DefaultValueFactory = _ => DefaultSeed };
        public Option<string?> Cache { get; } = new("--embedding-cache") { Description = "Where the distilled MiniLM word-piece table is cached (default: the temp directory)" };
        private readonly Option<double> _featureL2 = new("--feature-l2") { Description = "L2 strength on the cheap features", DefaultValueFactory = _ => Defaults.FeatureL2 };
        private readonly Option<double> _embeddingL2 = new("--embedding-l2") { Description = "L2 strength on the embedding dimensions", DefaultValueFactory = _ => Defaults.EmbeddingL2 };
        private readonly Option<double> _freeFormFeatureL2 = new("--free-form-feature-l2") { Description = "L2 strength on the cheap features of the free-form head", DefaultValueFactory = _ => Defaults.FreeFormFeatureL2 };
        private readonly Option<double> _freeFormEmbeddingL2 = new("--free-form-embedding-l2") { Description = "L2 strength on the embedding dimensions of the free-form head", DefaultValueFactory = _ => Defaults.FreeFormEmbeddingL2 };
        private readonly Option<bool> _noEmbedding = new("--no-embedding") { Description = "Train on the cheap features alone" };
        private readonly Option<double> _balance = new("--domain-balance") { Description = "Row weight = (rows in its domain)^-balance", DefaultValueFactory = _ => Defaults.DomainBalance };
        private readonly Option<int> _steps = new("--steps") { Description = "Optimiser steps", DefaultValueFactory = _ => Defaults.Steps };
        private readonly Option<int> _pieces = new("--max-pieces") { Description = "Word-pieces of the question embedded", DefaultValueFactory = _ => Defaults.MaxPieces };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Seed, Cache, _featureL2, _freeFormFeatureL2, _embeddingL2, _freeFormEmbeddingL2, _noEmbedding, _balance, _steps, _pieces }) command.Options.Add(option);
        }

        public TrainerOptions Read(ParseResult parse) => new()
        {
            FeatureL2 = parse.GetValue(_featureL2),
            EmbeddingL2 = parse.GetValue(_embeddingL2),
            FreeFormEmbeddingL2 = parse.GetValue(_freeFormEmbeddingL2),
            FreeFormFeatureL2 = parse.GetValue(_freeFormFeatureL2),
            UseEmbedding = !parse.GetValue(_noEmbedding),
            DomainBalance = parse.GetValue(_balance),
            Steps = parse.GetValue(_steps),
            MaxPieces = parse.GetValue(_pieces),
        };
    }
}
