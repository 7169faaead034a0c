using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("TokenOps.Simulator.Tests")]
