"""`shanzhi classify train` — a new version of the class suggester now; `shanzhi classify show` —
the version in use and its hold-out figures; `shanzhi classify "文本"` — its top three."""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "分类推荐模型：train 训练新版本，show 查看在用版本，或给出一段文字查看推荐"

    def add_arguments(self, parser):
        parser.add_argument("what", help="train | show | 一段上报文字")

    def handle(self, what, **options):
        from shanzhi.incidents.classify import loaded, suggest, train
        from shanzhi.incidents.models import ClassifierModel

        if what == "train":
            model = train()
            if model is None:
                raise CommandError("已受理的案件太少，无法训练")
            m = model.metrics
            self.stdout.write(f"v{model.pk}: {m['examples']} 个样本，{m['classes']} 个分类；留出集 "
                              f"top-1 {m.get('top1', 0):.1%}，top-3 {m.get('top3', 0):.1%}")
        elif what == "show":
            model = ClassifierModel.objects.filter(is_active=True).first()
            if model is None:
                self.stdout.write("尚无模型：按关键词推荐")
                return
            self.stdout.write(f"{model}: {model.metrics}")
        else:
            loaded.reset()
            for s in suggest(what, 3):
                self.stdout.write(f"{s.code} {s.confidence:.1%} ({s.by})")
