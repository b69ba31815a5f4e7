"""``fastemb train``: a model on a corpus file or folder, on this machine or a Dask
cluster, with a progress bar, checkpoints and resume."""
import os
import sys
import time

from fastemb import registry
from fastemb.cli.progress import ProgressBar
from fastemb.cli.vectors_files import FORMATS, decoding_option, format_for, save_vectors
from fastemb.corpus.readers import TOKENIZERS, LineSentence
from fastemb.io.native import read_header
from fastemb.models.doc2vec import Doc2Vec, TaggedDocument
from fastemb.models.facebook import save_facebook_model
from fastemb.models.fasttext import FastText
from fastemb.models.glove import GloVe
from fastemb.models.word2vec import Word2Vec


def _make_model(args):
    """The untrained model the ``train`` options describe."""
    common = dict(vector_size=args.vector_size, min_count=args.min_count,
                  workers=args.workers or os.cpu_count() or 1, seed=args.seed,
                  max_vocab_size=args.max_vocab_size)
    if args.deterministic:
        common["deterministic"] = True
    if args.max_memory is not None and args.model != "glove":
        common["max_memory"] = args.max_memory
    if args.cache_dir is not None:
        if args.tokenizer != "whitespace" or args.model == "doc2vec":
            raise ValueError("--cache-dir encodes whitespace-separated corpus files for "
                             "word2vec, fasttext and glove")
        common["encoded_cache"] = args.cache_dir
    if args.window is not None:
        common["window"] = args.window
    if args.epochs is not None:
        common["epochs"] = args.epochs
    if args.model == "doc2vec":
        common["epochs"] = args.epochs if args.epochs is not None else 10
        return Doc2Vec(sample=args.sample, dm=int(args.dm), dbow_words=int(args.dbow_words),
                       dm_concat=int(args.dm_concat), hs=int(args.hs), negative=args.negative,
                       alpha=args.alpha, min_alpha=args.min_alpha, **common)
    if args.model == "fasttext":
        return FastText(sample=args.sample, sg=int(args.sg), hs=int(args.hs),
                        negative=args.negative, alpha=args.alpha, min_alpha=args.min_alpha,
                        min_n=args.minn, max_n=args.maxn, bucket=args.bucket,
                        mode=args.mode, hash_count=args.hash_count, **common)
    if args.model == "glove":
        return GloVe(x_max=args.x_max, alpha=args.glove_alpha, learning_rate=args.learning_rate,
                     symmetric=not args.left_only,
                     distance_weighting=not args.no_distance_weighting,
                     max_memory=1.0 if args.max_memory is None else args.max_memory,
                     vectors=args.vectors, **common)
    return Word2Vec(sample=args.sample, sg=int(args.sg), hs=int(args.hs), negative=args.negative,
                    alpha=args.alpha, min_alpha=args.min_alpha,
                    shared_negatives=not args.per_pair_negatives, **common)

def _resume_class(path):
    """The model class of the checkpoint at ``path``."""
    kind = read_header(path)[0]["meta"].get("kind")
    model_class = registry.class_named(kind) if isinstance(kind, str) else None
    if model_class is None or not hasattr(model_class, "resume"):
        raise ValueError(f"{path} is not a checkpoint of a model fastemb trains (kind {kind!r})")
    return model_class

def _corpus_source(args, doc2vec):
    """The corpus option of ``build_vocab``/``train`` for the CLI's corpus."""
    lines = LineSentence(args.corpus, tokenizer=args.tokenizer,
                         encoding_errors=args.encoding_errors)
    if args.tokenizer != "whitespace" and doc2vec:
        return dict(corpus_iterable=[TaggedDocument(words, [number])
                                     for number, words in enumerate(lines)])
    if args.tokenizer != "whitespace" or args.encoding_errors != "strict":
        # plain line files are still scanned in C, with the asked decoding
        return dict(corpus_iterable=lines)
    return dict(corpus_file=args.corpus)

def _check_output(path):
    """Refuse, before any training, an output path that cannot be written."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ValueError(f"cannot save to {path}: it is a directory")
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot save to {path}: the directory {folder} does not "
                                "exist (create it first)")
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"cannot save to {path}: the directory {folder} is not "
                              "writable")

def _train_on_cluster(args, progress):
    """``fastemb train --scheduler``: build and train the model on a Dask
    cluster (:mod:`fastemb.distributed`); the workers read the corpus path."""
    unsupported = [flag for flag, given in (("--resume", args.resume),
                                            ("--checkpoint", args.checkpoint),
                                            ("--cache-dir", args.cache_dir),
                                            ("--max-vocab-size", args.max_vocab_size),
                                            ("--tokenizer", args.tokenizer != "whitespace"))
                   if given]
    if args.model == "doc2vec" or unsupported:
        raise ValueError("--scheduler trains word2vec, fasttext and glove models from "
                         "whitespace-tokenised files; it does not take "
                         + ", ".join(unsupported or ["--model doc2vec"]))
    from distributed import Client

    from fastemb.distributed.glove import DistributedGloVe
    from fastemb.distributed.word2vec import DistributedTrainer
    model = _make_model(args)
    with Client(args.scheduler) as client:
        if isinstance(model, GloVe):
            if args.overlap or args.no_shared_memory:
                raise ValueError("--overlap and --no-shared-memory are for word2vec and "
                                 "fasttext: GloVe's replicas each own a range of rows")
            trainer = DistributedGloVe(client, model, args.corpus)
        else:
            interval = {} if args.sync_every is None else {"sync_every": args.sync_every}
            trainer = DistributedTrainer(client, model, args.corpus, overlap=args.overlap,
                                         share_memory=not args.no_shared_memory, **interval)
        trainer.build_vocab()
        print(f"vocabulary: {len(model.wv)} words, {model.corpus_total_words} raw words, "
              f"{model.corpus_count} sentences; {len(trainer.partitions)} partitions on "
              f"{len(trainer.workers)} Dask workers", file=sys.stderr)
        if isinstance(model, GloVe):
            nnz = trainer.build_cooccurrence()
            print(f"co-occurrence matrix: {nnz} non-zero entries", file=sys.stderr)
        trainer.train(progress=progress)
    return model

def run(args):
    """Carry out ``fastemb train`` as ``args`` ask; returns the exit status."""
    if args.checkpoint and args.resume:
        raise ValueError("give --checkpoint to start a run or --resume to continue one; a "
                         "resumed run goes on writing to the checkpoint it resumes")
    _check_output(args.output)
    if not args.resume and format_for(args.output, args.format, args.model == "fasttext") == \
            "floret" and (args.model, args.mode) != ("fasttext", "floret"):
        # known before training: say so now, not after the run
        raise ValueError(f"{args.output}: a .floret table holds floret-mode vectors; train "
                         "with --model fasttext --mode floret")
    started = time.monotonic()
    bar = ProgressBar("training", force=args.progress)
    bar_or_none = None if args.quiet else bar
    checkpoint = dict(checkpoint=args.checkpoint, checkpoint_every=args.checkpoint_every)
    if (args.overlap or args.no_shared_memory) and not args.scheduler:
        raise ValueError("--overlap and --no-shared-memory are options of training on a Dask "
                         "cluster: give --scheduler too")
    try:
        if args.scheduler:
            model = _train_on_cluster(args, bar_or_none)
        elif args.resume:
            model_class = _resume_class(args.resume)
            source = _corpus_source(args, model_class is Doc2Vec)
            model = model_class.resume(args.resume, **source, report_delay=0.25,
                                       progress=bar_or_none, workers=args.workers)
        else:
            model = _make_model(args)
            source = _corpus_source(args, isinstance(model, Doc2Vec))
            model.build_vocab(**source)
            print(f"vocabulary: {len(model.wv)} words, {model.corpus_total_words} raw words, "
                  f"{model.corpus_count} sentences", file=sys.stderr)
            if isinstance(model, GloVe):
                matrix = model.build_cooccurrence(**source)
                print(f"co-occurrence matrix: {matrix.nnz} non-zero entries", file=sys.stderr)
                model.train(report_delay=0.25, progress=bar_or_none, **checkpoint)
            else:
                model.train(**source, total_examples=model.corpus_count, epochs=model.epochs,
                            report_delay=0.25, progress=bar_or_none, **checkpoint)
    finally:
        bar.close()
    fmt = format_for(args.output, args.format, isinstance(model, FastText))
    if fmt == "native":
        model.save(args.output)
    elif fmt == "fasttext":
        if not isinstance(model, FastText):
            raise ValueError("--format fasttext needs --model fasttext")
        save_facebook_model(model, args.output)
    else:
        save_vectors(model.wv, args.output, fmt)
    losses = model.loss_history
    print(f"trained {len(model.train_stats)} epoch(s) in {time.monotonic() - started:.1f} s; "
          f"{'cost' if isinstance(model, GloVe) else 'loss'} per epoch "
          f"{', '.join(f'{x:.4g}' for x in losses)}; saved {fmt} to {args.output}",
          file=sys.stderr)
    if model.interrupted:
        print("interrupted: saved the model trained so far"
              + (f"; fastemb train --resume {args.checkpoint or args.resume} continues the run"
                 if args.checkpoint or args.resume else ""), file=sys.stderr)
        return 130
    return 0


#: The models' own defaults, which the flags take (the CLI's own choices:
#: ``--workers`` every core, ``--epochs`` and ``--window`` by model).
WORD2VEC, FASTTEXT, DOC2VEC, GLOVE = (cls.defaults() for cls in (Word2Vec, FastText, Doc2Vec,
                                                                  GloVe))


def add_parser(subparsers):
    """Add the ``train`` command to ``subparsers``."""
    train = subparsers.add_parser("train", help="train word vectors on a corpus")
    train.add_argument("corpus",
                       help="text file (plain/.gz/.bz2/.xz) or directory, a sentence a line")
    train.add_argument("-o", "--output", required=True, help="where to save the model/vectors")
    train.add_argument("--model", choices=["word2vec", "fasttext", "doc2vec", "glove"],
                       default="word2vec",
                       help="doc2vec: one document a line, tagged with its line number")
    train.add_argument("--format", choices=FORMATS,
                       help="output format (default: by suffix: .bin word2vec binary, or "
                            "Facebook's .bin for --model fasttext; .txt/.vec text; else the "
                            "native full model)")
    mode = train.add_mutually_exclusive_group()
    mode.add_argument("--sg", dest="sg", action="store_true", default=True,
                      help="skip-gram (default)")
    mode.add_argument("--cbow", dest="sg", action="store_false", help="CBOW")
    train.add_argument("--hs", action="store_true", help="hierarchical softmax")
    train.add_argument("--negative", type=int, default=WORD2VEC["negative"],
                       help="noise words (0: none)")
    train.add_argument("--per-pair-negatives", action="store_true",
                       help="skip-gram: draw noise words and update the output rows for "
                            "every (context, centre) pair as word2vec does, instead of once a "
                            "window (word2vec model only)")
    train.add_argument("--vector-size", type=int, default=WORD2VEC["vector_size"])
    train.add_argument("--window", type=int, help="context size (word2vec 5, glove 10)")
    train.add_argument("--min-count", type=int, default=WORD2VEC["min_count"])
    train.add_argument("--max-vocab-size", type=int)
    train.add_argument("--sample", type=float, default=WORD2VEC["sample"])
    train.add_argument("--alpha", type=float, default=WORD2VEC["alpha"])
    train.add_argument("--min-alpha", type=float, default=WORD2VEC["min_alpha"])
    train.add_argument("--epochs", type=int, help="passes (word2vec 5, glove 15)")
    train.add_argument("--workers", type=int,
                       help="threads (default: every core; with --resume, the checkpoint's)")
    train.add_argument("--deterministic", action="store_true",
                       help="the same vectors bit for bit in every run and with any --workers "
                            "(word2vec, fasttext and doc2vec train slower than the default)")
    train.add_argument("--seed", type=int, default=WORD2VEC["seed"])
    train.add_argument("--scheduler", metavar="ADDRESS",
                       help="train on the Dask cluster of this scheduler (tcp://host:8786; "
                            "needs fastemb[dask]); every worker must be able to read the "
                            "corpus path")
    train.add_argument("--sync-every", type=int,
                       help="with --scheduler: words the cluster trains between two "
                            "synchronisations of the replicas (word2vec, fasttext; default "
                            "fastemb.distributed.word2vec.SYNC_EVERY)")
    train.add_argument("--overlap", action="store_true",
                       help="with --scheduler: overlapping rounds, the changes travelling "
                            "while the replicas train (faster; each sees the others' changes "
                            "a round later; word2vec, fasttext)")
    train.add_argument("--no-shared-memory", action="store_true",
                       help="with --scheduler: a replica a worker with its own copy of the "
                            "weights, also where workers share a machine (then a seed fixes "
                            "the result; word2vec, fasttext)")
    train.add_argument("--cache-dir",
                       help="encode the corpus once into this folder and train from it "
                            "memory-mapped (corpora larger than RAM; reused while the corpus "
                            "is unchanged)")
    fasttext = train.add_argument_group("fasttext options")
    fasttext.add_argument("--minn", type=int, default=FASTTEXT["min_n"],
                          help="shortest character n-gram")
    fasttext.add_argument("--maxn", type=int, default=FASTTEXT["max_n"],
                          help="longest character n-gram (below --minn: none)")
    fasttext.add_argument("--bucket", type=int, default=FASTTEXT["bucket"],
                          help="n-gram hash buckets")
    fasttext.add_argument("--mode", choices=["fasttext", "floret"], default=FASTTEXT["mode"],
                          help="floret: words and n-grams hashed into one table of --bucket "
                               "rows (save as .bin for floret, .floret for spaCy)")
    fasttext.add_argument("--hash-count", type=int, default=FASTTEXT["hash_count"],
                          help="floret mode: rows each word and n-gram is hashed to (1-4)")
    doc2vec = train.add_argument_group("doc2vec options")
    doc2vec.add_argument("--dm", type=int, choices=[0, 1], default=DOC2VEC["dm"],
                         help="1: PV-DM (default), 0: PV-DBOW")
    doc2vec.add_argument("--dbow-words", action="store_true",
                         help="PV-DBOW: also train word vectors")
    doc2vec.add_argument("--dm-concat", action="store_true",
                         help="PV-DM: concatenate the document and context vectors "
                              "instead of averaging them (slower, a wider output layer)")
    glove = train.add_argument_group("glove options")
    glove.add_argument("--x-max", type=float, default=GLOVE["x_max"])
    glove.add_argument("--glove-alpha", type=float, default=GLOVE["alpha"],
                       help="exponent of the weighting function")
    glove.add_argument("--learning-rate", type=float, default=GLOVE["learning_rate"])
    glove.add_argument("--max-memory", type=float,
                       help="GiB for counting: vocabulary (rarest words pruned beyond it) "
                            "and GloVe's co-occurrences (spilled to disk beyond it; "
                            "default 1)")
    glove.add_argument("--vectors", choices=["sum", "word"], default=GLOVE["vectors"],
                       help="output W + W~ (default) or W")
    glove.add_argument("--left-only", action="store_true", help="count left context only")
    glove.add_argument("--no-distance-weighting", action="store_true")
    train.add_argument("--tokenizer", choices=TOKENIZERS, default="whitespace",
                       help="'simple' lower-cases and keeps only words (letters); 'jieba' "
                            "segments Chinese (pip install 'fastemb[chinese]')")
    reliability = train.add_argument_group("checkpoints")
    reliability.add_argument("--checkpoint", metavar="PATH",
                             help="save a checkpoint there every --checkpoint-every, on Ctrl-C "
                                  "and at the end")
    reliability.add_argument("--checkpoint-every", metavar="EVERY", default="10min",
                             help="seconds, '10min', '1h', or '5M words' (GloVe: entries)")
    reliability.add_argument("--resume", metavar="PATH",
                             help="continue the run of this checkpoint (its model options "
                                  "apply; give the same corpus)")
    train.add_argument("--progress", action="store_true",
                       help="draw the progress bar even when stderr is not a terminal")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    decoding_option(train, "--encoding-errors", "corpus text")
    train.set_defaults(handler=run)
